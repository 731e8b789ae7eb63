import { crc64 } from '../struct/crc64.js';

/**
 * A RESTORE payload for an object read from an RDB file: its type byte, the object's bytes as they
 * lie in the file, the file's RDB version (2 bytes LE) and a CRC-64/Jones (8 bytes LE) over all of
 * it — what DUMP returns on the server that wrote the file. Nothing is decoded or re-encoded; a
 * target whose own RDB version is older than `rdbVersion` refuses it (the caller then writes by type).
 */
export function restorePayload(type: number, object: Buffer, rdbVersion: number): Buffer {
  const out = Buffer.allocUnsafe(object.length + 11);
  out[0] = type;
  object.copy(out, 1);
  const trailer = object.length + 1;
  out.writeUInt16LE(rdbVersion, trailer);
  out.writeBigUInt64LE(crc64(out.subarray(0, trailer + 2)), trailer + 2);
  return out;
}
