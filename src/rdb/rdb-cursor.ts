import { lzfDecompress } from './lzf.js';
import { RdbFormatError } from './rdb-errors.js';

/**
 * Thrown (not an Error: no stack to capture, it is control flow) when a read runs past the bytes
 * buffered so far, and more of the file exists: the streaming walker reads more and retries the
 * record from its start. `offset` is the file offset the read needed to reach (exclusive).
 */
export class NeedMoreBytes {
  constructor(readonly offset: number) {}
}

/** String encodings (RDB_ENC_*) announced by a length byte whose top two bits are 11. */
const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

const TWO_32 = 2 ** 32;

/**
 * A read position over buffered RDB bytes. `base` is the file offset of buf[0]; `final` says the
 * buffer reaches the end of the file, so a read past it means the file is truncated (an error) rather
 * than "read more" (NeedMoreBytes). Reads are the RDB primitives of Redis src/rdb.c: lengths, strings
 * (raw, integer, LZF), doubles, times. Returned Buffers share memory with the buffer (no copies).
 */
export class RdbCursor {
  /** Set by lengthOrEncoding(): true when the value read is a string encoding, not a length. */
  encoded = false;

  constructor(
    public buf: Buffer,
    public pos: number,
    public base: number,
    public final: boolean,
  ) {}

  /** The file offset of the next byte to read. */
  offset(): number {
    return this.base + this.pos;
  }

  /** Running out of bytes: retry with more, or, at the end of the file, a truncation error. */
  short(n: number, what: string): never {
    if (!this.final) throw new NeedMoreBytes(this.base + this.pos + n);
    const at = this.offset();
    const missing = this.pos + n - this.buf.length;
    throw new RdbFormatError(`RDB file ends early: at offset ${at}, ${what} needs ${missing} more byte(s) than the file holds`, at);
  }

  fail(message: string, at = this.offset()): never {
    throw new RdbFormatError(`${message} at offset ${at}`, at);
  }

  u8(what = 'a type byte'): number {
    if (this.pos >= this.buf.length) this.short(1, what);
    return this.buf[this.pos++]!;
  }

  skip(n: number, what = 'a value'): void {
    if (this.pos + n > this.buf.length) this.short(n, what);
    this.pos += n;
  }

  bytes(n: number, what = 'a value'): Buffer {
    if (this.pos + n > this.buf.length) this.short(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * A length (RDB_6BITLEN, 14BITLEN, 32BITLEN, 64BITLEN), or, when the top two bits are 11, a string
   * encoding number with `encoded` set. 64-bit lengths beyond 2^53 come back inexact: callers that
   * count with them use length(), which refuses them.
   */
  lengthOrEncoding(): number {
    const buf = this.buf;
    const p = this.pos;
    if (p >= buf.length) this.short(1, 'a length');
    const b = buf[p]!;
    switch (b >> 6) {
      case 0:
        this.pos = p + 1;
        this.encoded = false;
        return b & 0x3f;
      case 1:
        if (p + 2 > buf.length) this.short(2, 'a 14-bit length');
        this.pos = p + 2;
        this.encoded = false;
        return ((b & 0x3f) << 8) | buf[p + 1]!;
      case 3:
        this.pos = p + 1;
        this.encoded = true;
        return b & 0x3f;
      default:
        this.encoded = false;
        if (b === 0x80) {
          if (p + 5 > buf.length) this.short(5, 'a 32-bit length');
          this.pos = p + 5;
          return buf.readUInt32BE(p + 1);
        }
        if (b === 0x81) {
          if (p + 9 > buf.length) this.short(9, 'a 64-bit length');
          this.pos = p + 9;
          return buf.readUInt32BE(p + 1) * TWO_32 + buf.readUInt32BE(p + 5);
        }
        this.fail(`invalid RDB length byte 0x${b.toString(16)}`);
    }
  }

  /** A plain length (a count or a size); an encoded value or one beyond 2^53 is a format error. */
  length(what = 'a length'): number {
    const at = this.offset();
    const n = this.lengthOrEncoding();
    if (this.encoded) this.fail(`expected ${what}, found a string encoding byte`, at);
    if (n > Number.MAX_SAFE_INTEGER) this.fail(`${what} of ${n} is beyond what any file holds`, at);
    return n;
  }

  /** A 64-bit length read exactly (stream IDs, module ids). */
  lengthBig(): bigint {
    const at = this.offset();
    const b = this.pos < this.buf.length ? this.buf[this.pos] : undefined;
    if (b === 0x81) {
      if (this.pos + 9 > this.buf.length) this.short(9, 'a 64-bit length');
      const v = this.buf.readBigUInt64BE(this.pos + 1);
      this.pos += 9;
      return v;
    }
    const n = this.lengthOrEncoding();
    if (this.encoded) this.fail('expected a length, found a string encoding byte', at);
    return BigInt(n);
  }

  /** Skips one RDB string of any encoding without decoding it. */
  skipString(): void {
    const at = this.offset();
    const n = this.lengthOrEncoding();
    if (!this.encoded) {
      if (this.pos + n > this.buf.length) this.short(n, `a string of ${n} bytes`);
      this.pos += n;
      return;
    }
    switch (n) {
      case ENC_INT8:
        this.skip(1, 'an 8-bit integer string');
        return;
      case ENC_INT16:
        this.skip(2, 'a 16-bit integer string');
        return;
      case ENC_INT32:
        this.skip(4, 'a 32-bit integer string');
        return;
      case ENC_LZF: {
        const compressed = this.length('a compressed length');
        this.length('an uncompressed length');
        this.skip(compressed, `an LZF string of ${compressed} bytes`);
        return;
      }
      default:
        this.fail(`unknown RDB string encoding ${n}`, at);
    }
  }

  /** One RDB string, decoded: raw bytes as a view, integers as their decimal text, LZF decompressed. */
  string(): Buffer {
    const at = this.offset();
    const n = this.lengthOrEncoding();
    if (!this.encoded) return this.bytes(n, `a string of ${n} bytes`);
    switch (n) {
      case ENC_INT8:
        this.skip(1, 'an 8-bit integer string');
        return Buffer.from(String(this.buf.readInt8(this.pos - 1)));
      case ENC_INT16:
        this.skip(2, 'a 16-bit integer string');
        return Buffer.from(String(this.buf.readInt16LE(this.pos - 2)));
      case ENC_INT32:
        this.skip(4, 'a 32-bit integer string');
        return Buffer.from(String(this.buf.readInt32LE(this.pos - 4)));
      case ENC_LZF: {
        const compressed = this.length('a compressed length');
        const size = this.length('an uncompressed length');
        const dataAt = this.offset();
        const data = this.bytes(compressed, `an LZF string of ${compressed} bytes`);
        try {
          return lzfDecompress(data, size);
        } catch (err) {
          throw new RdbFormatError(`corrupt LZF string at offset ${dataAt}: ${(err as Error).message}`, dataAt, { cause: err });
        }
      }
      default:
        this.fail(`unknown RDB string encoding ${n}`, at);
    }
  }

  /** A double in the old text form (ZSET type 3): length byte, 253 NaN, 254 +inf, 255 -inf. */
  textDouble(): number {
    const at = this.offset();
    const n = this.u8('a double length');
    if (n === 253) return Number.NaN;
    if (n === 254) return Number.POSITIVE_INFINITY;
    if (n === 255) return Number.NEGATIVE_INFINITY;
    const value = Number(this.bytes(n, 'a double').toString('latin1'));
    if (Number.isNaN(value)) this.fail('invalid double text', at);
    return value;
  }

  skipTextDouble(): void {
    const n = this.u8('a double length');
    if (n < 253) this.skip(n, 'a double');
  }

  /** An IEEE 754 double, little-endian (ZSET_2, module DOUBLE). */
  binaryDouble(): number {
    this.skip(8, 'a binary double');
    return this.buf.readDoubleLE(this.pos - 8);
  }

  /** A time in milliseconds: signed 64-bit little-endian. */
  msTime(): number {
    this.skip(8, 'a millisecond time');
    return this.buf.readInt32LE(this.pos - 4) * TWO_32 + this.buf.readUInt32LE(this.pos - 8);
  }

  /** A time in seconds: signed 32-bit little-endian (EXPIRETIME, RDB version < 3). */
  secondsTime(): number {
    this.skip(4, 'a time in seconds');
    return this.buf.readInt32LE(this.pos - 4);
  }
}
