const TWO_64 = 1n << 64n;

/** The 64-bit value with its bits in reverse order (SCAN cursors advance in reversed-bit order). */
export function reverseBits64(value: bigint): bigint {
  let v = value;
  let out = 0n;
  for (let i = 0; i < 64; i++) {
    out = (out << 1n) | (v & 1n);
    v >>= 1n;
  }
  return out;
}

/**
 * Where a SCAN cursor stands in the walk, as a number in [0, 2^64]. Redis advances the cursor by
 * incrementing its bit-reversed value, so the reversed value grows monotonically even while the
 * table is resized; redis-shake estimates progress the same way. `'0'` is the start when `atEnd`
 * is false, and the end of the walk (2^64) when it is a cursor SCAN returned.
 */
export function scanPosition(cursor: string, atEnd = false): bigint {
  const value = BigInt(cursor);
  if (value === 0n) return atEnd ? TWO_64 : 0n;
  return reverseBits64(value & (TWO_64 - 1n));
}

/** Estimated fraction of the keyspace walked: `cursor` is the next one to ask for. */
export function scanProgress(cursor: string, done: boolean): number {
  if (done) return 1;
  return Number((scanPosition(cursor) * 10_000n) / TWO_64) / 10_000;
}

/**
 * Where a cursor stands in a unit's walk, as a number that grows with it: `'0'` is the start when
 * `atEnd` is false and the end when it is a cursor the walk returned. The copy loop compares
 * cursors only through this (see copy/write-frontier.ts), so a source whose cursors are not SCAN
 * cursors (an RDB file's byte offsets) gives its own.
 */
export type CursorOrder = (cursor: string, atEnd?: boolean) => bigint;
