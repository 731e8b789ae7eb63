import assert from 'node:assert/strict';
import type { ByteSource } from '../../src/rdb/byte-source.js';
import { type RdbRange, splitRdb } from '../../src/rdb/split-rdb.js';
import { type RdbHeader, type RdbRecord, readRdbHeader, walkRdb } from '../../src/rdb/walk-rdb.js';

const describeRecord = (r: RdbRecord) => (r.kind === 'key' ? `key db${r.db} ${r.start}-${r.end}` : `function ${r.start}-${r.end}`);

async function recordsOf(source: ByteSource, opts: Parameters<typeof walkRdb>[1]): Promise<RdbRecord[]> {
  const out: RdbRecord[] = [];
  for await (const r of walkRdb(source, opts)) out.push(r);
  return out;
}

/**
 * splitRdb's ranges for `parts`, checked against a whole walk of the file: contiguous from the body
 * to the EOF record, one db each with its key count, a cut only at a db change or a share of bytes
 * (so at most `parts` plus the db changes), and walked one after the other, every record once in order.
 */
export async function checkedSplit(open: () => ByteSource, parts: number, header?: RdbHeader): Promise<RdbRange[]> {
  const head = header ?? (await readRdbHeader(open()));
  const ranges = await splitRdb(open(), parts, head);
  const whole = await recordsOf(open(), { header: head });
  const keys = whole.filter((r) => r.kind === 'key');
  if (keys.length === 0) {
    assert.deepEqual(ranges, [], 'a file without keys gives no range');
    return ranges;
  }
  const dbChanges = keys.filter((k, i) => i > 0 && k.db !== keys[i - 1]!.db).length;
  assert.ok(ranges.length >= 1 + dbChanges && ranges.length <= parts + dbChanges, `${ranges.length} ranges for ${parts} parts`);
  assert.equal(ranges[0]!.from.offset, head.bodyOffset, 'the first range starts at the body');
  const size = await open().size();
  assert.equal(ranges.at(-1)!.to, size - (head.version >= 5 ? 9 : 1), 'the last range ends at the EOF record');
  const pieces: RdbRecord[] = [];
  for (const [i, r] of ranges.entries()) {
    if (i > 0) assert.equal(r.from.offset, ranges[i - 1]!.to, 'contiguous');
    const records = await recordsOf(open(), { header: head, from: r.from, to: r.to });
    const rangeKeys = records.filter((k) => k.kind === 'key');
    assert.equal(rangeKeys.length, r.keys, `range ${i}: its key count`);
    assert.ok(rangeKeys.length > 0 && rangeKeys.every((k) => k.db === r.from.db), `range ${i}: keys of db ${r.from.db} only`);
    pieces.push(...records);
  }
  assert.deepEqual(pieces.map(describeRecord), whole.map(describeRecord), `${parts} parts: every record once, in order`);
  return ranges;
}
