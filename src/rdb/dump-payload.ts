import { writeCrc64 } from '../struct/crc64.js';

/**
 * A RESTORE payload for an object read from an RDB file: its type byte, the object's bytes as they
 * lie in the file, the file's RDB version (2 bytes LE) and a CRC-64/Jones (8 bytes LE) over all of
 * it — what DUMP returns on the server that wrote the file. Nothing is decoded or re-encoded; a
 * target whose own RDB version is older than `rdbVersion` refuses it (the caller then writes by type).
 */
export function restorePayload(type: number, object: Buffer, rdbVersion: number): Buffer {
  const out = Buffer.allocUnsafe(restorePayloadLength(object));
  restorePayloadInto(out, 0, type, object, rdbVersion);
  return out;
}

/** The size of an object's RESTORE payload: type byte + object + version + CRC-64. */
export function restorePayloadLength(object: Buffer): number {
  return object.length + 11;
}

/**
 * Writes the RESTORE payload of `object` into `out` at `at` and returns the offset after it, so
 * many payloads can share one allocation (the restore's fast path builds a page's in one buffer).
 */
export function restorePayloadInto(out: Buffer, at: number, type: number, object: Buffer, rdbVersion: number): number {
  out[at] = type;
  out.set(object, at + 1);
  const trailer = at + 1 + object.length;
  out.writeUInt16LE(rdbVersion, trailer);
  writeCrc64(out.subarray(at, trailer + 2), out, trailer + 2);
  return trailer + 10;
}
