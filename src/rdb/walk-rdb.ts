import type { ByteSource } from './byte-source.js';
import { NeedMoreBytes, RdbCursor } from './rdb-cursor.js';
import { parseHeader } from './rdb-records.js';
import type { RdbHeader, RdbRecord, WalkOptions } from './rdb-types.js';
import { ReadWindow } from './read-window.js';
import { walkRounds, walkState } from './walk-rounds.js';

export type { RdbFunction, RdbHeader, RdbKey, RdbPosition, RdbRecord, WalkOptions } from './rdb-types.js';

/** Reads the magic, the version and the leading AUX fields. */
export async function readRdbHeader(source: ByteSource, signal?: AbortSignal): Promise<RdbHeader> {
  const size = await source.size();
  const window = new ReadWindow(source, 0, size, signal);
  try {
    let want = 64 * 1024;
    for (;;) {
      await window.fill(0, want);
      const cursor = new RdbCursor(window.buf, 0, 0, window.final);
      try {
        return parseHeader(cursor, source.name);
      } catch (err) {
        if (!(err instanceof NeedMoreBytes)) throw err;
        want = Math.max(err.offset, want * 2);
      }
    }
  } finally {
    await window.close();
  }
}

/**
 * Records from `from` (default: the header's bodyOffset, db 0) until the record that starts at or
 * after `to` (default: EOF), in file order. A format error comes after every whole record before it.
 */
export async function* walkRdb(source: ByteSource, opts: WalkOptions = {}): AsyncGenerator<RdbRecord> {
  const header = opts.header ?? (await readRdbHeader(source, opts.signal));
  for await (const records of walkRounds(source, header, walkState(header, opts), opts)) yield* records;
}
