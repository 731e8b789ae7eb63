/**
 * Finds one key's object blob in a tiny RDB file without an RDB walker, for the decoders' tests over
 * the upstream Redis test files (test/fixtures/rdb/README.md): looks for the bytes
 * <type byte><key length><key> (short keys: a one-byte length) and reads the RDB string after them,
 * which must be stored raw with a 6- or 14-bit length (true of those small files).
 */
export function blobAfterKey(rdb: Buffer, type: number, key: string): Buffer {
  const needle = Buffer.concat([Buffer.from([type, key.length]), Buffer.from(key, 'latin1')]);
  const at = rdb.indexOf(needle);
  if (at < 0 || rdb.indexOf(needle, at + 1) >= 0) throw new Error(`key ${key} of type ${type}: not found exactly once`);
  let p = at + needle.length;
  const first = rdb[p++]!;
  let length = first & 0x3f;
  if (first >> 6 === 1) length = (length << 8) | rdb[p++]!;
  else if (first >> 6 !== 0) throw new Error(`key ${key}: its value is not a raw string with a short length`);
  return rdb.subarray(p, p + length);
}
