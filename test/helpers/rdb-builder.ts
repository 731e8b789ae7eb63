import { createRequire } from 'node:module';
import type { ByteSource } from '../../src/rdb/byte-source.js';
import { crc64 } from '../../src/struct/crc64.js';

/**
 * Hand-built RDB bytes, for the layouts a Redis 7.0 server does not write (7.4 hash field TTLs,
 * module values, 7.0-rc functions) and for exact control in unit tests. Each helper encodes one RDB
 * primitive the way Redis src/rdb.c writes it.
 */

const lzfjs = createRequire(import.meta.url)('lzfjs') as { compress(data: Buffer): Uint8Array };

type Bytes = Buffer | string;
const buf = (b: Bytes) => (typeof b === 'string' ? Buffer.from(b) : b);

/** A length in the shortest form Redis uses (6, 14, 32 or 64 bits), or the 64-bit form if `wide`. */
export function len(n: number | bigint, wide = false): Buffer {
  const v = BigInt(n);
  if (!wide && v < 64n) return Buffer.from([Number(v)]);
  if (!wide && v < 16384n) return Buffer.from([0x40 | Number(v >> 8n), Number(v & 0xffn)]);
  if (!wide && v <= 0xffffffffn) {
    const out = Buffer.alloc(5);
    out[0] = 0x80;
    out.writeUInt32BE(Number(v), 1);
    return out;
  }
  const out = Buffer.alloc(9);
  out[0] = 0x81;
  out.writeBigUInt64BE(v, 1);
  return out;
}

export const str = (s: Bytes) => Buffer.concat([len(buf(s).length), buf(s)]);

/** An integer-encoded string: 8, 16 or 32 bits. */
export function intStr(value: number, bits: 8 | 16 | 32): Buffer {
  const out = Buffer.alloc(1 + bits / 8);
  out[0] = 0xc0 | (bits === 8 ? 0 : bits === 16 ? 1 : 2);
  if (bits === 8) out.writeInt8(value, 1);
  else if (bits === 16) out.writeInt16LE(value, 1);
  else out.writeInt32LE(value, 1);
  return out;
}

export function lzfStr(raw: Bytes): Buffer {
  const data = Buffer.from(lzfjs.compress(buf(raw)));
  return Buffer.concat([Buffer.from([0xc3]), len(data.length), len(buf(raw).length), data]);
}

export function u64le(n: number | bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
  return out;
}

export function f64le(n: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleLE(n);
  return out;
}

/** A key record: optional expiry prefix, type, key, object. */
export function keyRecord(type: number, key: Bytes, object: Buffer, expireAtMs?: number): Buffer {
  const prefix = expireAtMs === undefined ? Buffer.alloc(0) : Buffer.concat([Buffer.from([252]), u64le(expireAtMs)]);
  return Buffer.concat([prefix, Buffer.from([type]), str(key), object]);
}

/** A whole file: magic, version, records, EOF and (from version 5) the CRC-64, or 0 with `checksum: false`. */
export function rdbFile(version: number, records: Buffer[], opts: { checksum?: boolean } = {}): Buffer {
  const body = Buffer.concat([Buffer.from(`REDIS${String(version).padStart(4, '0')}`), ...records, Buffer.from([255])]);
  if (version < 5) return body;
  return Buffer.concat([body, u64le(opts.checksum === false ? 0n : crc64(body))]);
}

/** A listpack of strings and integers (7-bit uints, 64-bit ints), enough for the 7.4 hash layouts. */
export function listpack(entries: (Bytes | bigint)[]): Buffer {
  const parts = entries.map((e) => {
    let enc: Buffer;
    if (typeof e === 'bigint') {
      enc = Buffer.alloc(9);
      enc[0] = 0xf4;
      enc.writeBigInt64LE(e, 1);
    } else {
      const b = buf(e);
      if (b.length >= 64) throw new Error('test listpack: strings up to 63 bytes');
      enc = Buffer.concat([Buffer.from([0x80 | b.length]), b]);
    }
    return Buffer.concat([enc, Buffer.from([enc.length])]);
  });
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(6);
  head.writeUInt32LE(body.length + 7, 0);
  head.writeUInt16LE(entries.length, 4);
  return Buffer.concat([head, body, Buffer.from([0xff])]);
}

/** An in-memory ByteSource handing out `chunk`-byte pieces, counting the bytes it streamed. */
export function memorySource(data: Buffer, chunk = 1 << 16, name = 'memory.rdb'): ByteSource & { streamed: number } {
  const source = {
    name,
    streamed: 0,
    async size() {
      return data.length;
    },
    async *stream(start: number, end: number) {
      for (let at = start; at < end; at += chunk) {
        const piece = data.subarray(at, Math.min(end, at + chunk));
        source.streamed += piece.length;
        yield piece;
      }
    },
  };
  return source;
}
