import { blobError, decimal, need } from './blob-bounds.js';

const HEADER_SIZE = 8;

/**
 * The members of an intset (a set of integers only), ascending, as decimal text. Layout (intset.c):
 * the width of every member (u32 LE: 2, 4 or 8 bytes), the member count (u32 LE), then the members,
 * signed little-endian, strictly ascending. The blob's size must be exactly header + count × width.
 */
export function intsetMembers(blob: Buffer): Buffer[] {
  need('intset', 'header', 0, HEADER_SIZE, blob.length);
  const width = blob.readUInt32LE(0);
  if (width !== 2 && width !== 4 && width !== 8) {
    throw blobError('intset', 'header', 0, `expected a member width of 2, 4 or 8 bytes, found ${width}`);
  }
  const count = blob.readUInt32LE(4);
  const expected = HEADER_SIZE + count * width;
  if (expected !== blob.length) {
    throw blobError(
      'intset',
      'header',
      4,
      `states ${count} members of ${width} bytes (${expected} bytes), but the blob holds ${blob.length}`,
    );
  }
  return width === 8 ? wideMembers(blob, count) : narrowMembers(blob, count, width);
}

function narrowMembers(blob: Buffer, count: number, width: number): Buffer[] {
  const members: Buffer[] = new Array(count);
  let previous = Number.NEGATIVE_INFINITY;
  for (let i = 0, p = HEADER_SIZE; i < count; i++, p += width) {
    const value = width === 2 ? blob.readInt16LE(p) : blob.readInt32LE(p);
    if (value <= previous) throw notAscending(p, value, previous);
    members[i] = decimal(value);
    previous = value;
  }
  return members;
}

/** 64-bit members: as numbers while they are safe integers (no BigInt per member), BigInt beyond. */
function wideMembers(blob: Buffer, count: number): Buffer[] {
  const members: Buffer[] = new Array(count);
  let previous: number | bigint = Number.NEGATIVE_INFINITY;
  for (let i = 0, p = HEADER_SIZE; i < count; i++, p += 8) {
    const high = blob.readInt32LE(p + 4);
    // |high| < 2^21 keeps high * 2^32 + low below 2^53 in magnitude: exact as a number.
    const value = high >= -0x200000 && high < 0x200000 ? high * 0x100000000 + blob.readUInt32LE(p) : blob.readBigInt64LE(p);
    if (value <= previous) throw notAscending(p, value, previous); // number vs bigint compares exactly
    members[i] = decimal(value);
    previous = value;
  }
  return members;
}

function notAscending(p: number, value: number | bigint, previous: number | bigint) {
  return blobError('intset', 'member', p, `expected a member above ${previous} (members ascend), found ${value}`);
}
