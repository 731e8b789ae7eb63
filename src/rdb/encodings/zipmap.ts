import { blobError, hexByte, need } from './blob-bounds.js';

const END = 0xff;
const BIG_LENGTH = 0xfe;
const COUNT_UNKNOWN = 0xfe;

/**
 * The field, value, field, value… of a zipmap (hashes written by Redis before 2.6), as views of `blob`.
 * Layout (zipmap.c): a count byte (0xfe or more: unknown), then per pair the field's length, the field,
 * the value's length, a "free" byte (unused bytes after the value), the value and the free bytes; 0xff
 * ends it. A length is one byte below 0xfe, or 0xfe + u32 (Redis wrote host order: little-endian here).
 */
export function zipmapPairs(blob: Buffer): Buffer[] {
  need('zipmap', 'header', 0, 2, blob.length);
  const last = blob.length - 1;
  if (blob[last] !== END) throw blobError('zipmap', 'end', last, `expected the end byte 0xff, found ${hexByte(blob[last]!)}`);
  const pairs: Buffer[] = [];
  let p = 1;
  while (p < last) {
    if (blob[p] === END) throw blobError('zipmap', 'field', p, `end byte 0xff found ${last - p} bytes before the blob's end`);
    const field = readLength(blob, p, last, 'field');
    need('zipmap', 'field', field.at, field.length, last);
    pairs.push(blob.subarray(field.at, field.at + field.length));
    p = field.at + field.length;
    need('zipmap', 'value', p, 1, last);
    const value = readLength(blob, p, last, 'value');
    need('zipmap', 'value', value.at, 1, last);
    const free = blob[value.at]!;
    const start = value.at + 1;
    need('zipmap', 'value', start, value.length + free, last);
    pairs.push(blob.subarray(start, start + value.length));
    p = start + value.length + free;
  }
  const count = blob[0]!;
  if (count < COUNT_UNKNOWN && count !== pairs.length / 2) {
    throw blobError('zipmap', 'header', 0, `states ${count} pairs, but the blob holds ${pairs.length / 2}`);
  }
  return pairs;
}

/** The length at `p` and the offset just after it. */
function readLength(blob: Buffer, p: number, last: number, what: string): { length: number; at: number } {
  const byte = blob[p]!;
  if (byte < BIG_LENGTH) return { length: byte, at: p + 1 };
  if (byte === END) throw blobError('zipmap', what, p, 'expected a length, found the end byte 0xff');
  need('zipmap', what, p, 5, last);
  return { length: blob.readUInt32LE(p + 1), at: p + 5 };
}
