import { RdbCursor } from './rdb-cursor.js';
import { RdbFormatError } from './rdb-errors.js';

/**
 * Reads the RDB string that starts at `start` in the object (or takes `blob`, already read from
 * there) and runs a blob decoder on it. A decoder's RdbFormatError carries an offset inside the blob;
 * it is re-thrown with the file offset (exact for a raw blob, the string's start for an LZF one).
 */
export type ReadBlob = <T>(start: number, decode: (blob: Buffer) => T, blob?: Buffer) => T;

export function blobAt(object: Buffer, fileOffset: number): ReadBlob {
  return (start, decode, given) => {
    const data = given ?? new RdbCursor(object, start, fileOffset, true).string();
    try {
      return decode(data);
    } catch (err) {
      if (!(err instanceof RdbFormatError)) throw err;
      const inObject = data.buffer === object.buffer ? data.byteOffset - object.byteOffset : -1;
      const raw = inObject >= 0 && inObject <= object.length;
      const at = raw ? fileOffset + inObject + err.offset : fileOffset + start;
      const where = raw ? `at file offset ${at}` : `in the compressed string at file offset ${at}`;
      throw new RdbFormatError(`${err.message} (${where})`, at, { cause: err });
    }
  };
}

/** A sorted-set score stored as text in a ziplist/listpack ("1.5", "-inf", an integer). */
export function parseScore(text: Buffer, fileOffset: number): number {
  const s = text.toString('latin1');
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  const n = Number(s);
  if (s.trim() === '' || Number.isNaN(n)) {
    throw new RdbFormatError(`sorted-set score ${JSON.stringify(s)} is not a number (object at file offset ${fileOffset})`, fileOffset);
  }
  return n;
}
