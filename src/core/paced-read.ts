import type { ReadResult } from './contracts.js';
import type { RateLimiter } from './rate-limiter.js';

const EMPTY: ReadResult = { records: [], gone: 0 };

/**
 * Reads one SCAN page under the rate limit: the page is cut into slices of at most
 * `limiter.maxTake` scanned keys (SCAN COUNT is a hint, a page can be larger), and each slice's
 * kept keys are read as soon as its tokens are granted, so the source never sees more keys at once
 * than the limiter's bound allows (see RateLimiter). Filtered keys take tokens too: SCAN visits them.
 *
 * Resolves once every slice's read has started (the caller, the SCAN reader, is paced by it) with
 * the page's whole read, which the writer awaits. The reads start in SCAN order, as separate batches
 * would, so each waits for read budget behind the earlier ones only (see ByteBudget).
 */
export async function readPaced(
  limiter: RateLimiter,
  scanned: Buffer[],
  kept: Buffer[],
  read: (keys: Buffer[]) => Promise<ReadResult>,
): Promise<{ read: Promise<ReadResult> }> {
  const reads: Promise<ReadResult>[] = [];
  let k = 0; // `kept` is a subsequence of `scanned`, the same Buffers in the same order
  for (let start = 0; start < scanned.length; start += limiter.maxTake) {
    const slice = scanned.slice(start, start + limiter.maxTake);
    const mine: Buffer[] = [];
    for (const key of slice) if (kept[k] === key) mine.push(kept[k++]!);
    await limiter.take(slice.length);
    if (mine.length > 0) {
      const part = read(mine);
      part.catch(() => {}); // observed by mergeReads
      reads.push(part);
    }
  }
  return { read: mergeReads(reads) };
}

/**
 * One ReadResult for several reads of one batch: their first parts together (released together),
 * then each one's remaining parts (see ReadResult.rest) one after another. If any read fails, the
 * bytes the others hold go back at once.
 */
export async function mergeReads(reads: Promise<ReadResult>[]): Promise<ReadResult> {
  if (reads.length === 0) return EMPTY;
  if (reads.length === 1) return reads[0]!;
  const settled = await Promise.allSettled(reads);
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    for (const r of results) r.release?.();
    throw failed.reason;
  }
  const big = results.flatMap((r) => r.big ?? []);
  const rest = chainRests(results.flatMap((r) => (r.rest ? [r.rest] : [])));
  return {
    records: results.flatMap((r) => r.records),
    gone: results.reduce((n, r) => n + r.gone, 0),
    ...(big.length > 0 ? { big } : {}),
    ...(rest ? { rest } : {}),
    release: () => {
      for (const r of results) r.release?.();
    },
  };
}

/** Reads the parts behind `rests` in order, each read only when the previous part's `rest` is called. */
function chainRests(rests: (() => Promise<ReadResult>)[]): (() => Promise<ReadResult>) | undefined {
  if (rests.length === 0) return undefined;
  const [first, ...others] = rests;
  return async () => {
    const part = await first!();
    const next = chainRests(part.rest ? [part.rest, ...others] : others);
    const { rest: _, ...own } = part;
    return next ? { ...own, rest: next } : own;
  };
}
