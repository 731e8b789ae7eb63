import type { ByteSource } from './byte-source.js';
import type { RdbHeader, RdbPosition } from './rdb-types.js';
import { readRdbHeader } from './walk-rdb.js';
import { walkRounds, walkState } from './walk-rounds.js';

export interface RdbRange {
  from: RdbPosition;
  /** Exclusive: the next range's start, or the file size for the last one. */
  to: number;
}

export interface SplitOptions {
  /** Check the file's CRC-64 during the pass (default true): corruption is found before anything is written. */
  verifyChecksum?: boolean;
  signal?: AbortSignal;
}

/**
 * A skip-only pass over the whole file: up to `parts` contiguous ranges of about equal bytes. The
 * first starts at the body (so it holds the function libraries and leading records); every other
 * one starts at a key record, with the db selected there. A key bigger than a share yields fewer
 * ranges. Keys are not decoded and objects not copied: the pass only reads lengths.
 */
export async function splitRdb(source: ByteSource, parts: number, header?: RdbHeader, opts: SplitOptions = {}): Promise<RdbRange[]> {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`splitRdb: parts must be a positive integer, got ${parts}`);
  const head = header ?? (await readRdbHeader(source, opts.signal));
  const size = await source.size();
  const share = (size - head.bodyOffset) / parts;
  const starts: RdbPosition[] = [{ offset: head.bodyOffset, db: 0 }];
  let nextCut = head.bodyOffset + share;
  const state = walkState(head, {});
  state.onKey = (start, db) => {
    if (start < nextCut || starts.length >= parts) return;
    starts.push({ offset: start, db });
    // A key longer than a share swallows the cuts inside it.
    while (nextCut <= start) nextCut += share;
  };
  for await (const _ of walkRounds(source, head, state, { verifyChecksum: opts.verifyChecksum, signal: opts.signal })) {
    // Skip-only: the rounds carry no records; onKey has seen the boundaries.
  }
  return starts.map((from, i) => ({ from, to: starts[i + 1]?.offset ?? size }));
}
