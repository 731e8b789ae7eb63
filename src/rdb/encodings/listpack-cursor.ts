import { type BlobFormat, blobError, decimal, hexByte, need } from './blob-bounds.js';

const HEADER_SIZE = 6;
const EOF = 0xff;
const COUNT_UNKNOWN = 0xffff;

/** Bytes the back-length of an entry of `size` bytes takes: 7 bits a byte, with Redis's own thresholds. */
function backlenSize(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

/**
 * Walks a listpack in place, one entry per `next()`, allocating nothing: the entry is either an integer
 * (`isInt`, value in `int`, or in `big` when it is beyond 2^53) or a string, bytes [`start`, `end`) of the
 * blob. Layout (listpack.c): total bytes u32 LE, entry count u16 LE (0xffff: unknown), entries, 0xff.
 * Each entry is an encoding byte (+ length or integer bytes), the string, and a back-length that must
 * equal the entry's size. Every read is bounds-checked; the header's size and count must match the walk.
 */
export class ListpackCursor {
  /** The entry count the header states, or null when it says "unknown" (65535 or more entries). */
  readonly headerCount: number | null;
  /** Offset of the current entry's encoding byte. */
  entryOffset = 0;
  isInt = false;
  int = 0;
  big: bigint | null = null;
  start = 0;
  end = 0;
  private pos = HEADER_SIZE;
  private seen = 0;
  private readonly last: number;

  constructor(
    private readonly blob: Buffer,
    private readonly format: BlobFormat = 'listpack',
  ) {
    need(format, 'header', 0, HEADER_SIZE + 1, blob.length);
    const total = blob.readUInt32LE(0);
    if (total !== blob.length) {
      throw blobError(format, 'header', 0, `states ${total} bytes, but the blob holds ${blob.length}`);
    }
    this.last = blob.length - 1;
    if (blob[this.last] !== EOF) {
      throw blobError(format, 'end', this.last, `expected the end byte 0xff, found ${hexByte(blob[this.last]!)}`);
    }
    const count = blob.readUInt16LE(4);
    this.headerCount = count === COUNT_UNKNOWN ? null : count;
  }

  /** Moves to the next entry; false at the end byte (once the header's count has been checked). */
  next(): boolean {
    const p = this.pos;
    if (p === this.last) {
      if (this.headerCount !== null && this.headerCount !== this.seen) {
        throw blobError(this.format, 'header', 4, `states ${this.headerCount} entries, but the blob holds ${this.seen}`);
      }
      return false;
    }
    const byte = this.blob[p]!;
    if (byte === EOF) throw blobError(this.format, 'entry', p, `end byte 0xff found ${this.last - p} bytes before the blob's end`);
    this.entryOffset = p;
    const size = byte < 0xf0 ? this.decodeSmall(p, byte) : this.decodeWide(p, byte);
    this.pos = this.checkBacklen(p, size);
    this.seen++;
    return true;
  }

  /** Like next(), but an entry must follow: `what` names it in the error. */
  expect(what: string): void {
    if (!this.next()) throw blobError(this.format, what, this.pos, 'expected an entry, found the end of the listpack');
  }

  /** The current entry as Redis replies it: a view of the string bytes, or the integer's decimal text. */
  value(): Buffer {
    if (!this.isInt) return this.blob.subarray(this.start, this.end);
    return decimal(this.big ?? this.int);
  }

  /** The current entry as a safe integer (stream counts and flags); `what` names it in the error. */
  integer(what: string): number {
    if (this.isInt && this.big === null) return this.int;
    throw blobError(this.format, what, this.entryOffset, `expected an integer below 2^53, found ${this.describe()}`);
  }

  /** The current entry as a 64-bit integer (stream id deltas). */
  bigInteger(what: string): bigint {
    if (this.isInt) return this.big ?? BigInt(this.int);
    throw blobError(this.format, what, this.entryOffset, `expected an integer, found ${this.describe()}`);
  }

  private describe(): string {
    return this.isInt ? `the integer ${this.big ?? this.int}` : `a ${this.end - this.start}-byte string`;
  }

  /** Encodings below 0xf0: 7-bit uint, 6-bit string, 13-bit int, 12-bit string. Returns the entry size. */
  private decodeSmall(p: number, byte: number): number {
    const blob = this.blob;
    if (byte < 0x80) return this.setInt(byte, 1);
    if (byte < 0xc0) return this.setString(p, 1, byte & 0x3f);
    need(this.format, 'entry', p, 2, this.last);
    const low = ((byte & 0x1f) << 8) | blob[p + 1]!;
    if (byte < 0xe0) return this.setInt(low >= 4096 ? low - 8192 : low, 2);
    return this.setString(p, 2, low & 0xfff);
  }

  /** Encodings 0xf0 (32-bit string length) to 0xf4 (64-bit int); anything above is not a listpack. */
  private decodeWide(p: number, byte: number): number {
    const blob = this.blob;
    const format = this.format;
    switch (byte) {
      case 0xf0:
        need(format, 'entry', p, 5, this.last);
        return this.setString(p, 5, blob.readUInt32LE(p + 1));
      case 0xf1:
        need(format, 'entry', p, 3, this.last);
        return this.setInt(blob.readInt16LE(p + 1), 3);
      case 0xf2:
        need(format, 'entry', p, 4, this.last);
        return this.setInt(blob.readIntLE(p + 1, 3), 4);
      case 0xf3:
        need(format, 'entry', p, 5, this.last);
        return this.setInt(blob.readInt32LE(p + 1), 5);
      case 0xf4: {
        need(format, 'entry', p, 9, this.last);
        const value = blob.readBigInt64LE(p + 1);
        const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
        this.setInt(safe ? Number(value) : 0, 9);
        if (!safe) this.big = value;
        return 9;
      }
      default:
        throw blobError(format, 'entry', p, `unknown encoding byte ${hexByte(byte)}`);
    }
  }

  private setInt(value: number, size: number): number {
    this.isInt = true;
    this.int = value;
    this.big = null;
    return size;
  }

  private setString(p: number, headerSize: number, length: number): number {
    need(this.format, 'entry', p, headerSize + length, this.last);
    this.isInt = false;
    this.start = p + headerSize;
    this.end = this.start + length;
    return headerSize + length;
  }

  /** Checks the back-length after the entry's `size` bytes; returns the offset of the next entry. */
  private checkBacklen(p: number, size: number): number {
    const at = p + size;
    const length = backlenSize(size);
    need(this.format, 'entry back-length', at, length, this.last);
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 128 + (this.blob[at + i]! & 0x7f);
    if (value !== size) {
      throw blobError(this.format, 'entry back-length', at, `expected ${size} (the entry's size), found ${value}`);
    }
    return at + length;
  }
}
