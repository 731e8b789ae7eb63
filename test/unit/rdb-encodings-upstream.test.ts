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
 * ziplists from before quicklists. The expected values are what redis-server 7.0 replies after loading
 * each file (the .json beside it), the same values Redis's own tests assert.
 */
const fixture = (name: string) => new URL(`../fixtures/rdb/${name}`, import.meta.url);
const b64 = (entries: Buffer[]) => entries.map((b) => b.toString('base64'));

function expected(rdb: string, key: string): unknown {
  const { keys } = JSON.parse(readFileSync(fixture(rdb.replace(/\.rdb$/, '.json')), 'utf8')) as { keys: { key: string; value: unknown }[] };
  const found = keys.find((k) => Buffer.from(k.key, 'base64').toString('latin1') === key);
  if (!found) throw new Error(`${rdb}: no key ${key} in its JSON`);
  return found.value;
}

/** [[a, b], …] of the JSON as the flat base64 list a decoder gives. */
const flat = (value: unknown) => (value as string[][]).flat();

describe('RDB encodings: upstream Redis test files', () => {
  it('zipmap (hash-zipmap.rdb, RDB 3): field, value pairs', () => {
    const blob = blobAfterKey(readFileSync(fixture('redis-assets-hash-zipmap.rdb')), 9, 'hash');
    assert.deepEqual(b64(zipmapPairs(blob)), flat(expected('redis-assets-hash-zipmap.rdb', 'hash')));
    assert.equal(zipmapPairs(blob).length, 4);
  });

  const file = 'redis-assets-encodings.rdb';
  const encodings = readFileSync(fixture(file));

  it('ziplist list of RDB 4 (type 10): integers of several widths and strings', () => {
    const entries = ziplistEntries(blobAfterKey(encodings, 10, 'list_zipped'));
    assert.deepEqual(b64(entries), expected(file, 'list_zipped'));
    assert.equal(entries.map(String).join(), '1,2,3,a,b,c,100000,6000000000');
  });

  it('ziplist hash and zset of RDB 4 (types 13, 12)', () => {
    assert.deepEqual(b64(ziplistEntries(blobAfterKey(encodings, 13, 'hash_zipped'))), flat(expected(file, 'hash_zipped')));
    const zset = ziplistEntries(blobAfterKey(encodings, 12, 'zset_zipped')).map(String);
    const replied = (expected(file, 'zset_zipped') as [string, string][]).flatMap(([m, s]) => [Buffer.from(m, 'base64').toString(), s]);
    assert.deepEqual(zset, replied);
  });

  for (const key of ['set_zipped_1', 'set_zipped_2', 'set_zipped_3']) {
    it(`intset ${key} of RDB 4`, () => {
      const members = intsetMembers(blobAfterKey(encodings, 11, key));
      assert.deepEqual(b64(members.sort(Buffer.compare)), expected(file, key));
    });
  }
});
