import type { ConflictPolicy } from './config.js';
import {
  type BigKeyCopier,
  type CheckpointStore,
  type KeySink,
  type KeySource,
  type ReadResult,
  type UnitCheckpoint,
  type UnitCounters,
  ZERO_COUNTERS,
} from './contracts.js';
import { CheckpointConflictError, TargetKeyExistsError } from './errors.js';
import type { KeyFilter } from './key-filter.js';
import { formatKey } from './key-format.js';
import { readPaced } from './paced-read.js';
import type { RateLimiter } from './rate-limiter.js';
import { scanPosition } from './scan-position.js';

export interface CopyUnitOptions {
  source: KeySource;
  /** Absent in a dry run: everything is read and counted, nothing written. */
  sink?: KeySink;
  filter: KeyFilter;
  policy: ConflictPolicy;
  store: CheckpointStore;
  /** Where to start: the stored checkpoint (resume) or a new one. */
  checkpoint: UnitCheckpoint;
  limiter?: RateLimiter;
  /** Asked before each batch; true stops the unit after the batch in hand is confirmed. */
  shouldStop?: () => boolean;
  /** Batches scanned and read ahead of the one being written (reads overlap writes and RTTs). */
  readAhead?: number;
  /**
   * Keys read ahead at most, whatever the batch size (SCAN COUNT grows over slow links): bounds the
   * memory a unit holds. At least one batch is always read ahead.
   */
  readAheadKeys?: number;
  /** Batches sent to the target before the oldest is confirmed. */
  writeAhead?: number;
  /** Called with every saved checkpoint (progress display, logs). */
  onProgress?: (checkpoint: UnitCheckpoint) => void;
  /** Copies the keys the source reported as too big to DUMP whole (by type, in chunks). */
  copyBigKey?: BigKeyCopier;
}

interface Batch {
  /** Cursor the SCAN was called with, and the one it returned. */
  from: string;
  to: string;
  scanned: number;
  filtered: number;
  /** DUMP + PTTL of the kept keys, in flight while later SCANs run. */
  read: Promise<ReadResult>;
}

const EMPTY_READ: Promise<ReadResult> = Promise.resolve({ records: [], gone: 0 });

/**
 * Copies one unit from its checkpoint until SCAN returns cursor 0 or `shouldStop` says so.
 *
 * A reader scans ahead, firing each batch's DUMP + PTTL without waiting for it, up to `readAhead`
 * batches (and `readAheadKeys` keys); the writer sends up to `writeAhead` batches of RESTOREs before the oldest is confirmed,
 * and confirms them in SCAN order. After each batch the target confirmed, a
 * checkpoint {cursor, counters} is queued for saving; saves run in order off the critical path,
 * while the next batch is written, and never claim a batch the target has not confirmed.
 *
 * A crash therefore loses at most the batches written since the last completed save. With the
 * `fail` policy, plain RESTORE would trip over those re-copied keys (BUSYKEY), so no batch is
 * written beyond the stored `writeFrontier`: every save pushes the frontier to the furthest batch
 * read so far, and a resumed unit writes every batch that starts before it with REPLACE. The
 * frontier is a cursor compared by scan position (scan-position.ts), exact even if the keyspace
 * was rehashed between runs.
 */
export async function copyUnit(options: CopyUnitOptions): Promise<UnitCheckpoint> {
  const { source, sink, filter, policy, store, limiter } = options;
  const shouldStop = options.shouldStop ?? (() => false);
  const readAhead = Math.max(1, options.readAhead ?? 4);
  const readAheadKeys = Math.max(1, options.readAheadKeys ?? 4000);
  const writeAhead = Math.max(1, options.writeAhead ?? 2);
  if (options.checkpoint.status === 'done') return options.checkpoint;

  let checkpoint: UnitCheckpoint = { ...options.checkpoint, status: 'running', error: undefined };
  const counters: UnitCounters = { ...ZERO_COUNTERS, ...checkpoint.counters };
  // Batches that start before this position may already be on the target from an earlier attempt.
  const resumeFrontier = checkpoint.writeFrontier === null ? null : scanPosition(checkpoint.writeFrontier, true);
  const needsFrontier = policy === 'fail' && sink !== undefined;

  // Saves run one after another on this chain; `checkpoint` is always the last one stored.
  let saving: Promise<void> = Promise.resolve();
  let saveError: unknown;
  const save = (patch: Partial<UnitCheckpoint>): Promise<void> => {
    saving = saving.then(async () => {
      if (saveError !== undefined) return;
      try {
        checkpoint = await store.saveUnit({
          ...checkpoint,
          ...patch,
          counters: patch.counters ?? checkpoint.counters,
          updatedAt: new Date().toISOString(),
        });
        options.onProgress?.(checkpoint);
      } catch (error) {
        saveError = error;
      }
    });
    return saving;
  };
  const settled = async () => {
    await saving;
    if (saveError !== undefined) throw saveError;
  };
  await save({});
  await settled();

  const queue: Batch[] = [];
  let readerDone = false;
  let readerError: unknown;
  let stopReading = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitForChange = () => new Promise<void>((resolve) => (wake = resolve));
  const queuedKeys = () => {
    let n = 0;
    for (const batch of queue) n += batch.scanned;
    return n;
  };
  /** The end cursor of the furthest batch read so far: how far writes may soon go. */
  const furthestRead = (fallback: string) => (queue.length > 0 ? queue[queue.length - 1]!.to : fallback);

  const reader = (async () => {
    let cursor = checkpoint.cursor;
    try {
      do {
        while (queue.length > 0 && (queue.length >= readAhead || queuedKeys() >= readAheadKeys) && !stopReading) await waitForChange();
        if (stopReading) return;
        const page = await source.scan(cursor);
        const kept = filter.passesAll ? page.keys : page.keys.filter((k) => filter.allowsKey(k));
        const read = limiter
          ? (await readPaced(limiter, page.keys, kept, (keys) => source.read(keys))).read
          : kept.length > 0
            ? source.read(kept)
            : EMPTY_READ;
        read.catch(() => {}); // observed by the writer; avoid an unhandled rejection meanwhile
        queue.push({ from: cursor, to: page.cursor, scanned: page.keys.length, filtered: page.keys.length - kept.length, read });
        cursor = page.cursor;
        notify();
      } while (cursor !== '0');
    } catch (error) {
      readerError = error;
    } finally {
      readerDone = true;
      notify();
    }
  })();

  /**
   * Writes one batch (RESTOREs, then its big keys) and returns what it adds to the counters. A
   * batch read in parts (see ReadResult.rest) is written part by part, the next part read while
   * the current one is written; each part's bytes go back to the budget once it is written.
   */
  const writeBatch = async (batch: Batch, rewrite: boolean): Promise<UnitCounters> => {
    const d: UnitCounters = { ...ZERO_COUNTERS, scanned: batch.scanned, filtered: batch.filtered, batches: 1 };
    const replace = policy === 'replace' || (rewrite && policy === 'fail');
    let part: ReadResult | undefined = await batch.read;
    while (part) {
      const next: Promise<ReadResult> | undefined = part.rest?.();
      try {
        await writePart(part, replace, d);
      } catch (error) {
        void releaseWhenRead(next);
        throw error;
      } finally {
        part.release?.();
      }
      part = next ? await next : undefined;
    }
    if (rewrite) d.recopied = d.copied;
    return d;
  };

  const writePart = async ({ records, gone, big = [] }: ReadResult, replace: boolean, d: UnitCounters): Promise<void> => {
    d.skippedGone += gone;
    if (!sink) {
      // Dry run: count what would be written.
      d.copied += records.length + big.length;
      d.bigKeys += big.length;
      for (const r of records) d.bytes += r.payload.length;
      for (const b of big) d.bytes += b.bytes;
      return;
    }
    if (records.length > 0) {
      const result = await sink.write(records, replace ? 'replace' : 'keep');
      if (result.existing.length > 0 && policy === 'fail') throw keyExists(result.existing[0]!);
      d.copied += result.written;
      d.skippedExisting += result.existing.length;
      d.skippedGone += result.expired;
      d.skippedTooBig += result.tooBig?.length ?? 0;
      d.bytes += result.bytes;
    }
    if (big.length > 0) await copyBigKeys(big, options.copyBigKey, replace, policy, d);
  };

  let finished = false;
  let position = checkpoint.cursor;
  // Batches sent to the target and not yet confirmed, oldest first: several in flight hide the
  // target's round trip. Each is confirmed, counted and checkpointed in SCAN order.
  const inFlight: { batch: Batch; outcome: Promise<UnitCounters> }[] = [];
  const nextBatch = async (): Promise<Batch | undefined> => {
    while (queue.length === 0 && !readerDone) await waitForChange();
    const batch = queue.shift();
    notify();
    if (!batch && readerError !== undefined) throw readerError;
    return batch;
  };
  try {
    let exhausted = false;
    while (true) {
      // Fill: send batches until `writeAhead` are in flight (or stop was asked: only drain).
      while (!exhausted && inFlight.length < writeAhead && !shouldStop()) {
        if (inFlight.length > 0 && queue.length === 0) break; // do not wait for reads while writes can complete
        const batch = await nextBatch();
        if (!batch) {
          exhausted = true;
          break;
        }
        const rewrite = resumeFrontier !== null && scanPosition(batch.from) < resumeFrontier;
        try {
          const { records, big = [], rest } = await batch.read;
          if (needsFrontier && !rewrite && (records.length + big.length > 0 || rest) && !covers(checkpoint.writeFrontier, batch.to)) {
            await settled(); // a save in flight may already extend the frontier
            if (!covers(checkpoint.writeFrontier, batch.to)) await save({ writeFrontier: furthestRead(batch.to) });
            await settled();
          }
        } catch (error) {
          void releaseWhenRead(batch.read);
          throw error;
        }
        const outcome = writeBatch(batch, rewrite);
        outcome.catch(() => {}); // observed when it reaches the head
        inFlight.push({ batch, outcome });
      }
      const head = inFlight.shift();
      if (!head) break;
      const delta = await head.outcome;
      for (const k of Object.keys(delta) as (keyof UnitCounters)[]) counters[k] += delta[k];
      if (saveError !== undefined) throw saveError;
      finished = head.batch.to === '0';
      position = head.batch.to;
      const frontier = needsFrontier && !finished ? furthestOf(checkpoint.writeFrontier, furthestRead(head.batch.to)) : null;
      void save({ cursor: head.batch.to, counters: { ...counters }, status: finished ? 'done' : 'running', writeFrontier: frontier });
      if (finished) break;
    }
    // Stopped between batches: this attempt wrote nothing past the cursor, but an earlier attempt may
    // have (up to the frontier it left, not passed yet): keep that one, or the next resume meets BUSYKEY.
    if (!finished && needsFrontier) {
      const earlier = resumeFrontier !== null && scanPosition(position) < resumeFrontier ? options.checkpoint.writeFrontier : null;
      void save({ writeFrontier: earlier });
    }
    await settled();
  } catch (error) {
    await saving;
    if (!(error instanceof CheckpointConflictError) && !(saveError instanceof CheckpointConflictError)) {
      // Record why the unit stopped; the cursor stays at the last batch the target confirmed.
      saveError = undefined;
      await save({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
    throw error;
  } finally {
    stopReading = true;
    notify();
    await reader;
    // Read but never written (the unit stopped or failed): their bytes go back to the budget.
    for (const batch of queue.splice(0)) void releaseWhenRead(batch.read);
  }
  return checkpoint;
}

/** Releases a read's bytes once it has arrived (a failed read holds none). */
async function releaseWhenRead(read: Promise<ReadResult> | undefined): Promise<void> {
  try {
    (await read)?.release?.();
  } catch {
    // Its error is reported where the read is awaited.
  }
}

/**
 * Big keys go one at a time: each is already chunked, and copying several at once would multiply
 * the memory a chunk takes. A key the copier finds on the target is a conflict like BUSYKEY.
 */
async function copyBigKeys(
  big: { key: Buffer }[],
  copy: BigKeyCopier | undefined,
  replace: boolean,
  policy: ConflictPolicy,
  counters: UnitCounters,
): Promise<void> {
  if (!copy) throw new Error('the source reported big keys but no big-key copier is configured');
  for (const { key } of big) {
    const result = await copy(key, replace);
    switch (result.status) {
      case 'copied':
        counters.copied++;
        counters.bigKeys++;
        counters.bytes += result.bytes;
        break;
      case 'existing':
        if (policy === 'fail') {
          throw keyExists(key);
        }
        counters.skippedExisting++;
        break;
      case 'gone':
      case 'expired':
        counters.skippedGone++;
        break;
      case 'unsupported':
        counters.notCopied++;
        break;
      case 'too-big':
        counters.skippedTooBig++;
        break;
    }
  }
}

function keyExists(key: Buffer): TargetKeyExistsError {
  return new TargetKeyExistsError(
    key,
    `target already has key ${formatKey(key)}; stopped without overwriting it. Set rdb_restore_command_behavior = "rewrite" (or --on-existing replace) to overwrite, or "skip" to keep the target's value`,
  );
}

/** True when writes up to `to` are covered by the stored frontier. */
function covers(frontier: string | null, to: string): boolean {
  return frontier !== null && scanPosition(to, true) <= scanPosition(frontier, true);
}

function furthestOf(a: string | null, b: string): string {
  return a !== null && scanPosition(a, true) >= scanPosition(b, true) ? a : b;
}
