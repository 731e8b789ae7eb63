import { RdbFormatError } from '../rdb-errors.js';

/** One blob format ('listpack', 'ziplist', …), named in every error about it. */
export type BlobFormat = 'listpack' | 'ziplist' | 'intset' | 'zipmap' | 'stream listpack';

/** The error for a structure found at `offset` of a `format` blob: `<format> <what> at byte <offset>: <problem>`. */
export function blobError(format: BlobFormat, what: string, offset: number, problem: string): RdbFormatError {
  return new RdbFormatError(`${format} ${what} at byte ${offset}: ${problem}`, offset);
}

/**
 * Throws unless `length` bytes starting at `offset` lie inside the blob's first `end` bytes: every read
 * is checked before it is made, so a truncated or corrupt blob fails here instead of reading past it.
 */
export function need(format: BlobFormat, what: string, offset: number, length: number, end: number): void {
  if (length < 0 || offset + length > end) {
    const wanted = `${length} byte${length === 1 ? '' : 's'}`;
    throw blobError(format, what, offset, `needs ${wanted}, but the blob ends ${Math.max(0, end - offset)} bytes later`);
  }
}

/** `byte` as Redis sources write it: 0xf5. */
export function hexByte(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')}`;
}

/** An integer entry as the decimal text Redis replies with (HGETALL, LRANGE…). */
export function decimal(value: number | bigint): Buffer {
  return Buffer.from(String(value), 'latin1');
}
