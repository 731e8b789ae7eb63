import { crc64, writeCrc64 } from './crc64.js';

/**
 * The trailer of a DUMP payload: the serialized value, then 2 bytes of RDB version (little-endian),
 * then 8 bytes of CRC-64/Jones (little-endian) over everything before the checksum. RESTORE refuses
 * a payload whose version is newer than the server's own RDB version, or whose checksum is wrong,
 * with "ERR DUMP payload version or checksum are wrong".
 */
const TRAILER_BYTES = 10;

/** RDB format versions by the Redis release that introduced them (for messages and docs). */
export const RDB_VERSION_BY_RELEASE: Readonly<Record<string, number>> = Object.freeze({
  '5.0': 9,
  '6.0': 9,
  '6.2': 9,
  '7.0': 10,
  '7.2': 11,
  '7.4': 12,
});

function assertPayload(payload: Buffer): void {
  if (payload.length < TRAILER_BYTES + 1)
    throw new RangeError(`not a DUMP payload: ${payload.length} bytes is shorter than the 10-byte trailer plus a type byte`);
}

/** The RDB version a DUMP payload was serialized with. */
export function dumpRdbVersion(payload: Buffer): number {
  assertPayload(payload);
  return payload.readUInt16LE(payload.length - TRAILER_BYTES);
}

/** RDB_TYPE_STRING: the type byte a DUMP payload of a string starts with. */
const RDB_TYPE_STRING = 0;

/** True when the payload holds a string (strings, counters, bitmaps, HyperLogLogs). */
export function isStringDump(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === RDB_TYPE_STRING;
}

/** The checksum stored in the payload's trailer. */
export function dumpChecksum(payload: Buffer): bigint {
  assertPayload(payload);
  return payload.readBigUInt64LE(payload.length - 8);
}

/** True when the stored checksum matches the payload (Redis also accepts an all-zero checksum). */
export function hasValidChecksum(payload: Buffer): boolean {
  const stored = dumpChecksum(payload);
  return stored === 0n || stored === crc64(payload.subarray(0, payload.length - 8));
}

/**
 * A copy of `payload` stamped with another RDB version and a checksum recomputed over the new bytes,
 * i.e. what a server of that version could have produced for a value with the same encoding. Used
 * to make an older server refuse a payload for its version, honestly (the checksum is valid).
 */
export function restampDumpVersion(payload: Buffer, version: number): Buffer {
  assertPayload(payload);
  if (!Number.isInteger(version) || version < 0 || version > 0xffff)
    throw new RangeError(`RDB version ${version} does not fit the 2-byte field`);
  const out = Buffer.from(payload);
  out.writeUInt16LE(version, out.length - TRAILER_BYTES);
  writeCrc64(out.subarray(0, out.length - 8), out, out.length - 8);
  return out;
}

/**
 * True when a RESTORE error means "this server cannot read that payload's format": the server's
 * reply for a wrong version or checksum, for a payload whose checksum is in fact valid. A payload
 * corrupted in transit would draw the same reply, which is why the checksum is checked here.
 */
export function isVersionRefusal(errorText: string, payload: Buffer): boolean {
  return /payload version or checksum are wrong/i.test(errorText) && payload.length > TRAILER_BYTES && hasValidChecksum(payload);
}

/** The serialized value without its trailer: equal bodies are equal values, whatever RDB version stamped them. */
export function dumpBody(payload: Buffer): Buffer {
  assertPayload(payload);
  return payload.subarray(0, payload.length - TRAILER_BYTES);
}

/** RDB object types (the payload's first byte) by the value type they hold (rdb.h; 22-25: hashes with field TTLs). */
const TYPE_OF_RDB_TYPE: Readonly<Record<number, string>> = Object.freeze({
  0: 'string',
  1: 'list',
  10: 'list',
  14: 'list',
  18: 'list',
  2: 'set',
  11: 'set',
  20: 'set',
  3: 'zset',
  5: 'zset',
  12: 'zset',
  17: 'zset',
  4: 'hash',
  9: 'hash',
  13: 'hash',
  16: 'hash',
  15: 'stream',
  19: 'stream',
  21: 'stream',
});

/** The value type (as TYPE names it) an RDB object type byte holds; undefined for module values and unknown bytes. */
export function valueTypeOfRdbType(type: number): string | undefined {
  return TYPE_OF_RDB_TYPE[type];
}

/**
 * Hash-table encodings (RDB_TYPE_SET 2, RDB_TYPE_HASH 4) serialize in their table's order, which a
 * server seeds at random when it starts: the same set or hash DUMPs to different bytes on two
 * servers. True when both payloads hold the same type and either is such an encoding, so bytes that
 * differ do not mean values that differ. (Hashes with field TTLs, 22-25, are left out: comparing
 * them by type would miss the field TTLs.)
 */
export function mayDumpDifferently(a: Buffer, b: Buffer): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const type = TYPE_OF_RDB_TYPE[a[0]!];
  return type !== undefined && type === TYPE_OF_RDB_TYPE[b[0]!] && [a[0], b[0]].some((t) => t === 2 || t === 4);
}
