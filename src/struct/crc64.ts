/**
 * CRC-64/Jones as Redis computes it (src/crc64.c): polynomial 0xad93d23594c935a9, reflected in and
 * out (table polynomial 0x95ac9329ac4bc9b5), initial value 0, no final XOR. Check value:
 * crc64("123456789") = 0xe9c6d914c4b8d9ca. DUMP payloads end in this checksum (little-endian) over
 * every byte before it. No npm package implements this variant (the crc64 packages there are
 * ECMA-182 and NVMe), so this is a table-driven one on two 32-bit halves, "slicing by 8" (eight
 * tables, eight bytes per step, as Redis' own crc64 does): an RDB restore checksums every payload
 * and the whole file, and one table measured ~105 MB/s where eight give several times that.
 */

const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/** TABLE_HI/LO[k * 256 + n]: the CRC of byte n followed by k zero bytes (k = 0..7), halves of 64 bits. */
const TABLE_HI = new Uint32Array(8 * 256);
const TABLE_LO = new Uint32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let hi = 0;
  let lo = n;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (carry) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  TABLE_HI[n] = hi;
  TABLE_LO[n] = lo;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) {
    // T_k[n] = T_0[T_{k-1}[n] & 0xff] ^ (T_{k-1}[n] >> 8)
    const hi = TABLE_HI[(k - 1) * 256 + n]!;
    const lo = TABLE_LO[(k - 1) * 256 + n]!;
    const index = lo & 0xff;
    TABLE_LO[k * 256 + n] = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ TABLE_LO[index]!) >>> 0;
    TABLE_HI[k * 256 + n] = ((hi >>> 8) ^ TABLE_HI[index]!) >>> 0;
  }
}

/** CRC-64/Jones of `data`, continuing from `crc` (0 to start). */
export function crc64(data: Uint8Array, crc = 0n): bigint {
  let hi = Number((crc >> 32n) & 0xffffffffn);
  let lo = Number(crc & 0xffffffffn);
  const TH = TABLE_HI;
  const TL = TABLE_LO;
  const end8 = data.length - (data.length % 8);
  let i = 0;
  for (; i < end8; i += 8) {
    // The next 8 bytes, little-endian, XORed into the CRC; each byte then looked up in the table
    // for its distance from the end of the step.
    const a = (lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const b = (hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24))) >>> 0;
    const i0 = 7 * 256 + (a & 0xff);
    const i1 = 6 * 256 + ((a >>> 8) & 0xff);
    const i2 = 5 * 256 + ((a >>> 16) & 0xff);
    const i3 = 4 * 256 + (a >>> 24);
    const i4 = 3 * 256 + (b & 0xff);
    const i5 = 2 * 256 + ((b >>> 8) & 0xff);
    const i6 = 256 + ((b >>> 16) & 0xff);
    const i7 = b >>> 24;
    lo = (TL[i0]! ^ TL[i1]! ^ TL[i2]! ^ TL[i3]! ^ TL[i4]! ^ TL[i5]! ^ TL[i6]! ^ TL[i7]!) >>> 0;
    hi = (TH[i0]! ^ TH[i1]! ^ TH[i2]! ^ TH[i3]! ^ TH[i4]! ^ TH[i5]! ^ TH[i6]! ^ TH[i7]!) >>> 0;
  }
  for (; i < data.length; i++) {
    const index = (lo ^ data[i]!) & 0xff;
    // crc = table[index] ^ (crc >> 8), on the two halves.
    lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ TL[index]!) >>> 0;
    hi = ((hi >>> 8) ^ TH[index]!) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}
