import { blobError, decimal, hexByte, need } from './blob-bounds.js';

const HEADER_SIZE = 10;
const END = 0xff;
const BIG_PREVLEN = 0xfe;
const COUNT_UNKNOWN = 0xffff;

/**
 * Every entry of a ziplist (hashes, sorted sets and list nodes written by Redis before 7.0), in order.
 * Strings are views of `blob`; integers are their decimal text. Layout (ziplist.c): total bytes u32 LE,
 * offset of the last entry u32 LE, entry count u16 LE (0xffff: unknown), entries, 0xff. Each entry is
 * the previous entry's size (1 byte, or 0xfe + u32 LE), an encoding, and the data. The header's size,
 * tail offset and count, and each entry's previous size, must all match the walk.
 */
export function ziplistEntries(blob: Buffer): Buffer[] {
  need('ziplist', 'header', 0, HEADER_SIZE + 1, blob.length);
  const total = blob.readUInt32LE(0);
  if (total !== blob.length) throw blobError('ziplist', 'header', 0, `states ${total} bytes, but the blob holds ${blob.length}`);
  const last = blob.length - 1;
  if (blob[last] !== END) throw blobError('ziplist', 'end', last, `expected the end byte 0xff, found ${hexByte(blob[last]!)}`);
  const entries: Buffer[] = [];
  let p = HEADER_SIZE;
  let tail = HEADER_SIZE;
  let previousSize = 0;
  while (p < last) {
    const next = readEntry(blob, p, last, previousSize, entries);
    tail = p;
    previousSize = next - p;
    p = next;
  }
  checkHeader(blob, tail, entries.length);
  return entries;
}

function checkHeader(blob: Buffer, tail: number, count: number): void {
  const statedTail = blob.readUInt32LE(4);
  if (statedTail !== tail) throw blobError('ziplist', 'header', 4, `states the last entry at byte ${statedTail}, but it is at ${tail}`);
  const statedCount = blob.readUInt16LE(8);
  if (statedCount !== COUNT_UNKNOWN && statedCount !== count) {
    throw blobError('ziplist', 'header', 8, `states ${statedCount} entries, but the blob holds ${count}`);
  }
}

/** Decodes the entry at `p` into `entries`; returns the offset of the next one. */
function readEntry(blob: Buffer, p: number, last: number, previousSize: number, entries: Buffer[]): number {
  let q = p + 1;
  let prevlen = blob[p]!;
  if (prevlen === END) throw blobError('ziplist', 'entry', p, `end byte 0xff found ${last - p} bytes before the blob's end`);
  if (prevlen === BIG_PREVLEN) {
    need('ziplist', 'entry', p, 5, last);
    prevlen = blob.readUInt32LE(p + 1);
    q = p + 5;
  }
  if (prevlen !== previousSize) {
    throw blobError('ziplist', 'entry', p, `states a previous entry of ${prevlen} bytes, but it has ${previousSize}`);
  }
  need('ziplist', 'entry', q, 1, last);
  const encoding = blob[q]!;
  if (encoding < 0xc0) return readString(blob, q, encoding, last, entries);
  const size = intSize(encoding);
  if (size < 0) throw blobError('ziplist', 'entry', q, `unknown encoding byte ${hexByte(encoding)}`);
  need('ziplist', 'entry', q, 1 + size, last);
  entries.push(decimal(readInt(blob, q, encoding)));
  return q + 1 + size;
}

/** String encodings: 00pppppp (6-bit length), 01pppppp qqqqqqqq (14-bit, big-endian), 10______ + u32 BE. */
function readString(blob: Buffer, q: number, encoding: number, last: number, entries: Buffer[]): number {
  let header = 1;
  let length = encoding & 0x3f;
  if (encoding >= 0x80) {
    need('ziplist', 'entry', q, 5, last);
    header = 5;
    length = blob.readUInt32BE(q + 1);
  } else if (encoding >= 0x40) {
    need('ziplist', 'entry', q, 2, last);
    header = 2;
    length = (length << 8) | blob[q + 1]!;
  }
  need('ziplist', 'entry', q, header + length, last);
  entries.push(blob.subarray(q + header, q + header + length));
  return q + header + length;
}

/** Bytes after an integer encoding byte, or -1 when the byte is no encoding at all. */
function intSize(encoding: number): number {
  switch (encoding) {
    case 0xc0:
      return 2;
    case 0xd0:
      return 4;
    case 0xe0:
      return 8;
    case 0xf0:
      return 3;
    case 0xfe:
      return 1;
    default:
      // 1111xxxx with xxxx in 0001..1101: the value xxxx - 1 lives in the encoding byte itself.
      return encoding >= 0xf1 && encoding <= 0xfd ? 0 : -1;
  }
}

function readInt(blob: Buffer, q: number, encoding: number): number | bigint {
  switch (encoding) {
    case 0xc0:
      return blob.readInt16LE(q + 1);
    case 0xd0:
      return blob.readInt32LE(q + 1);
    case 0xe0:
      return blob.readBigInt64LE(q + 1);
    case 0xf0:
      return blob.readIntLE(q + 1, 3);
    case 0xfe:
      return blob.readInt8(q + 1);
    default:
      return (encoding & 0x0f) - 1;
  }
}
