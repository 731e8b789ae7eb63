import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileByteSource } from '../../src/rdb/file-byte-source.js';
import { RdbFormatError } from '../../src/rdb/rdb-errors.js';
import { splitRdb } from '../../src/rdb/split-rdb.js';
import { readRdbHeader } from '../../src/rdb/walk-rdb.js';
import { keyRecord, len, memorySource, rdbFile, str } from '../helpers/rdb-builder.js';
import { checkedSplit } from '../helpers/rdb-split-check.js';

const selectDb = (db: number) => Buffer.concat([Buffer.from([254]), len(db)]);
const library = Buffer.concat([Buffer.from([245]), str("#!lua name=lib\nredis.register_function('f', function() return 1 end)")]);

/** 200 keys of growing size in db 0, then 50 small ones in db 2. */
const twoDbs = () =>
  rdbFile(10, [
    selectDb(0),
    ...Array.from({ length: 200 }, (_, i) => keyRecord(0, `k${i}`, str('v'.repeat(i)))),
    selectDb(2),
    ...Array.from({ length: 50 }, (_, i) => keyRecord(0, `db2:${i}`, str('w'))),
  ]);

describe('splitRdb', () => {
  it('cuts at every share of bytes and every db change: ranges of one db each, with their key counts, covering every key once', async () => {
    const data = twoDbs();
    for (const parts of [1, 2, 5, 17, 300]) await checkedSplit(() => memorySource(data, 100), parts);
    // One part still gives a range per db; fine parts give many in db 2, each starting in it.
    assert.deepEqual(
      (await splitRdb(memorySource(data), 1)).map((r) => [r.from.db, r.keys]),
      [
        [0, 200],
        [2, 50],
      ],
    );
    assert.ok((await splitRdb(memorySource(data), 300)).filter((r) => r.from.db === 2).length > 1);
  });

  it('starts the first range at the body, before the function libraries; a db without keys gets no range, a file without keys none', async () => {
    const data = rdbFile(10, [library, selectDb(1), selectDb(3), keyRecord(0, 'a', str('1')), keyRecord(0, 'b', str('2')), selectDb(4)]);
    const header = await readRdbHeader(memorySource(data));
    const [only, ...rest] = await checkedSplit(() => memorySource(data), 3, header);
    assert.deepEqual([only, rest], [{ from: { offset: header.bodyOffset, db: 3 }, to: data.length - 9, keys: 2 }, []]);
    await checkedSplit(() => memorySource(rdbFile(10, [library, selectDb(0)])), 2);
    await checkedSplit(() => memorySource(rdbFile(3, [selectDb(0), keyRecord(0, 'old', str('v'))])), 2);
  });

  it('fails on a corrupt file before anything is written (the checksum is checked), unless told not to check it', async () => {
    const bad = twoDbs();
    // A byte of a value: the layout stays sound, only the checksum can tell.
    bad[bad.indexOf('vvvvvvvvvv')]! ^= 0x01;
    await assert.rejects(
      splitRdb(memorySource(bad), 3),
      (err: RdbFormatError) => err instanceof RdbFormatError && /CRC-64/.test(err.message),
    );
    assert.equal((await splitRdb(memorySource(bad), 3, undefined, { verifyChecksum: false })).at(-1)?.to, bad.length - 9);
    await assert.rejects(splitRdb(memorySource(bad), 0), RangeError);
  });

  describe('a local file, whose checksum a worker thread computes while the walk runs', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'redis-ferry-split-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const onDisk = async (name: string, data: Buffer) => {
      const path = join(dir, name);
      await writeFile(path, data);
      return fileByteSource(path);
    };

    it('splits a sound file as from memory', async () => {
      const data = twoDbs();
      const source = await onDisk('sound.rdb', data);
      assert.ok(source.checksum, 'a file source checksums off the main thread');
      assert.deepEqual(await splitRdb(source, 3), await splitRdb(memorySource(data), 3));
    });

    it('refuses a file whose value byte flipped, naming the checksum, and one with bytes after its checksum only if they hide a bad one', async () => {
      const bad = twoDbs();
      bad[bad.indexOf('vvvvvvvvvv')]! ^= 0x01;
      await assert.rejects(
        splitRdb(await onDisk('bad.rdb', bad), 3),
        (err: RdbFormatError) => err instanceof RdbFormatError && /CRC-64/.test(err.message),
      );
      // Trailing bytes: the early checksum (all but the last 8 bytes) does not apply; the EOF record's end does.
      const padded = Buffer.concat([twoDbs(), Buffer.alloc(100)]);
      assert.deepEqual(await splitRdb(await onDisk('padded.rdb', padded), 2), await splitRdb(memorySource(padded), 2));
      const paddedBad = Buffer.concat([bad, Buffer.alloc(100)]);
      await assert.rejects(splitRdb(await onDisk('padded-bad.rdb', paddedBad), 2), /CRC-64/);
    });
  });
});
