import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { intsetMembers } from '../../src/rdb/encodings/intset.js';
import { ziplistEntries } from '../../src/rdb/encodings/ziplist.js';
import { zipmapPairs } from '../../src/rdb/encodings/zipmap.js';
import { blobAfterKey } from '../helpers/rdb-asset-scan.js';

/**
 * RDB files from the Redis repository's own tests (tests/assets, BSD-3, Redis Ltd.; see
 * test/fixtures/rdb/README.md), written by Redis 2.4-era servers: the only source of a zipmap, and of
 * ziplists from before quicklists. Expected values are those Redis's tests assert for the same files
 * (tests/integration/convert-zipmap-hash-on-load.tcl, tests/integration/rdb.tcl).
 */
const asset = (name: string) => readFileSync(new URL(`../fixtures/rdb/${name}`, import.meta.url));
const text = (entries: Buffer[]) => entries.map((b) => b.toString('latin1'));

describe('RDB encodings: upstream Redis test files', () => {
  it('zipmap (hash-zipmap.rdb, RDB 3): field, value pairs', () => {
    const blob = blobAfterKey(asset('redis-assets-hash-zipmap.rdb'), 9, 'hash');
    assert.deepEqual(text(zipmapPairs(blob)), ['f1', 'v1', 'f2', 'v2']);
  });

  const encodings = asset('redis-assets-encodings.rdb');

  it('ziplist list of RDB 4 (type 10): integers of several widths and strings', () => {
    const entries = ziplistEntries(blobAfterKey(encodings, 10, 'list_zipped'));
    assert.deepEqual(text(entries), ['1', '2', '3', 'a', 'b', 'c', '100000', '6000000000']);
  });

  it('ziplist hash and zset of RDB 4 (types 13, 12)', () => {
    assert.deepEqual(text(ziplistEntries(blobAfterKey(encodings, 13, 'hash_zipped'))), ['a', '1', 'b', '2', 'c', '3']);
    assert.deepEqual(text(ziplistEntries(blobAfterKey(encodings, 12, 'zset_zipped'))), ['a', '1', 'b', '2', 'c', '3']);
  });

  it('intsets of RDB 4 in 16, 32 and 64-bit widths', () => {
    assert.deepEqual(text(intsetMembers(blobAfterKey(encodings, 11, 'set_zipped_1'))), ['1', '2', '3', '4']);
    assert.deepEqual(text(intsetMembers(blobAfterKey(encodings, 11, 'set_zipped_2'))), ['100000', '200000', '300000', '400000']);
    assert.deepEqual(text(intsetMembers(blobAfterKey(encodings, 11, 'set_zipped_3'))), [
      '1000000000',
      '2000000000',
      '3000000000',
      '4000000000',
      '5000000000',
      '6000000000',
    ]);
  });
});
