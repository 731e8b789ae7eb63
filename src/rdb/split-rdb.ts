import type { ByteSource } from './byte-source.js';
import type { RdbHeader, RdbPosition } from './rdb-types.js';
import { readRdbHeader } from './walk-rdb.js';
import { walkRounds, walkState } from './walk-rounds.js';

/** A range of the file holding the keys of one db: what one restore unit walks. */
export interface RdbRange {
  /**
   * Where the range's walk starts, with `db` the db of every key in it: the body for the first
   * range (so it also holds the function libraries and other records before the first key), a key
   * record for every other one.
   */
  from: RdbPosition;
  /** Exclusive: the next range's start, or the EOF record's offset for the last one. */
  to: number;
  /** The key records in the range. */
  keys: number;
}

export interface SplitOptions {
  /** Check the file's CRC-64 during the pass (default true): corruption is found before anything is written. */
  verifyChecksum?: boolean;
  signal?: AbortSignal;
}

/**
 * A skip-only pass over the whole file (keys are not decoded, objects not copied: the pass only
 * reads lengths) that cuts it into contiguous ranges of one db each, about `parts` of them over the
 * file's bytes, and counts the keys in each. A cut falls at every change of db as well as every
 * share of bytes, so a db with keys gets at least one range and a db without keys none (a file
 * without keys gives no range at all); a key bigger than a share swallows the cuts inside it, so a
 * file dominated by a few big keys gives fewer ranges than asked.
 */
export async function splitRdb(source: ByteSource, parts: number, header?: RdbHeader, opts: SplitOptions = {}): Promise<RdbRange[]> {
  if (!Number.isInteger(parts) || parts < 1) throw new RangeError(`splitRdb: parts must be a positive integer, got ${parts}`);
  const head = header ?? (await readRdbHeader(source, opts.signal));
  const size = await source.size();
  const share = Math.max(1, (size - head.bodyOffset) / parts);
  const ranges: RdbRange[] = [];
  let nextCut = head.bodyOffset + share;
  const state = walkState(head, {});
  state.onKey = (start, db) => {
    const current = ranges[ranges.length - 1];
    if (!current) {
      ranges.push({ from: { offset: head.bodyOffset, db }, to: size, keys: 0 });
    } else if (current.from.db !== db || start >= nextCut) {
      current.to = start;
      ranges.push({ from: { offset: start, db }, to: size, keys: 0 });
    }
    // Past the cut (or a db change past it): the cuts a long key spans are dropped, not stacked.
    while (nextCut <= start) nextCut += share;
    ranges[ranges.length - 1]!.keys++;
  };
  for await (const _ of walkRounds(source, head, state, { verifyChecksum: opts.verifyChecksum, signal: opts.signal })) {
    // Skip-only: the rounds carry no records; onKey has seen every key record.
  }
  // Nothing follows the last key but the EOF record and the checksum.
  const last = ranges[ranges.length - 1];
  if (last && state.eof) last.to = state.eof.at;
  return ranges;
}
