import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { crc64 } from '../../src/struct/crc64.js';
import { EXPIRED_KEY, loadEveryEncoding, RDB_LIBRARY } from '../fixtures/rdb-dataset.js';
import { jsonRunArgs, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';

/**
 * `redis-ferry restore` of a file BGSAVEd by a real redis-server (every type and encoding Redis 7.0
 * writes, a function library, keys in db 0 and db 3, a key already expired in the file) into a
 * standalone target, compared key by key with the server that wrote it (which keeps the data).
 */
describe('restore: an RDB file into a standalone target', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let file: string;
  let t: Redis;

  before(async () => {
    [source, target] = await Promise.all([startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS }), startRedis()]);
    await loadEveryEncoding(source.client());
    file = await saveRdb(source, 'every-encoding');
    work = await mkdtemp(join(tmpdir(), 'ferry-restore-'));
    t = target.client();
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await t.flushall();
    await t.function('FLUSH');
  });

  const restore = (path: string, ...extra: string[]) =>
    runCli(jsonRunArgs(['restore', path], { target: `redis://${target.address}`, stateDir: join(work, 'state') }, ...extra));
  const sameDb = (db: number) => assertSameData(source.client({ db }), target.client({ db }));

  it('restores every type and encoding, identical key by key, skipping and counting the expired key', async () => {
    const result = await restore(file, '--id', 'every', '--verify', 'full');

    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'completed');
    assert.deepEqual(
      summary.units.map((u: { unit: { sourceDb: number; targetDb: number } }) => [u.unit.sourceDb, u.unit.targetDb]),
      [
        [0, 0],
        [3, 3],
      ],
    );
    assert.equal(summary.totals.skippedGone, 1, 'the key expired in the file');
    assert.equal(await t.exists(EXPIRED_KEY), 0);
    assert.equal(summary.verify.passed, true, JSON.stringify(summary.verify.totals));
    assert.ok(summary.verify.totals.checked > 20);
    await sameDb(0);
    await sameDb(3);
    const libraries = (await t.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[][];
    assert.equal(String(libraries[0]![libraries[0]!.indexOf('library_code') + 1]), RDB_LIBRARY, 'the function library loaded');
  });

  it('maps dbs and applies key filters (glob, type, prefix) without decoding', async () => {
    const result = await restore(
      file,
      '--id',
      'filtered',
      '--db-map',
      '3:5',
      '--match',
      '*:*',
      '--type',
      'hash',
      '--verify',
      'full',
      '--no-functions',
    );

    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual((await t.keys('*')).sort(), ['exp:hash', 'hash:ht', 'hash:lp']);
    assert.deepEqual(await target.client({ db: 5 }).keys('*'), ['db3:hash']);
    assert.equal(await target.client({ db: 3 }).dbsize(), 0);
    assert.ok(summary.totals.filtered > 20, 'the other keys are counted as filtered out');
    assert.equal(summary.verify.passed, true);
    assert.deepEqual(await t.call('FUNCTION', 'LIST'), [], '--no-functions');
  });

  it('writes keys over the big-key threshold by type, decoded in chunks, identical', async () => {
    const result = await restore(file, '--id', 'big', '--big-key-threshold', '2000', '--verify', 'full');

    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.ok(summary.totals.bigKeys >= 2, `big keys ${summary.totals.bigKeys}`);
    assert.equal(summary.verify.passed, true);
    await sameDb(0);
    await sameDb(3);
  });

  it('falls back to writing by type when the target refuses the file’s RDB version', async () => {
    // A file as a server one RDB version newer would write it: the version in the header, a valid CRC-64.
    const newer = join(work, 'newer.rdb');
    await writeFile(newer, restampFile(await readFile(file), 11));

    const result = await restore(newer, '--id', 'newer', '--verify', 'full');

    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /refused RESTORE .* payload version \(11\).*decoding the file and writing by type/);
    assert.equal(JSON.parse(result.stdout).verify.passed, true);
    await sameDb(0);
    await sameDb(3);
  });

  it('refuses a corrupt, a truncated, a missing file and one that is not an RDB file with one line, the target untouched', async () => {
    await t.set('sentinel', 'before');
    const corrupt = join(work, 'corrupt.rdb');
    const bytes = Buffer.from(await readFile(file));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(corrupt, bytes);
    const truncated = join(work, 'truncated.rdb');
    await copyFile(file, truncated);
    await truncate(truncated, Math.floor(bytes.length * 0.7));
    const text = join(work, 'notes.rdb');
    await writeFile(text, 'these are not the bytes you are looking for\n');

    for (const [path, why] of [
      [corrupt, /offset \d+/],
      [truncated, /offset \d+|ends|truncat/i],
      [text, /is not a Redis RDB file/],
      [join(work, 'missing.rdb'), /no such file/],
    ] as const) {
      const result = await restore(path, '--id', 'bad', '--on-existing', 'replace');
      assert.notEqual(result.code, 0, path);
      const lines = result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('redis-ferry:'));
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0]!, why);
      assert.deepEqual(await t.keys('*'), ['sentinel'], `${path}: the target untouched`);
    }
  });

  it('refuses to resume a restore whose file changed since, exit 2', async () => {
    const copy = join(work, 'changing.rdb');
    await copyFile(file, copy);
    const first = await restore(copy, '--id', 'changing', '--verify', 'none');
    assert.equal(first.code, 0, first.stderr);
    await writeFile(copy, restampFile(await readFile(file), 11));

    const again = await restore(copy, '--id', 'changing');

    assert.equal(again.code, 2);
    assert.match(again.stderr, /restore changing was started from .*changing\.rdb \(\d+ bytes, mtime .*\), but .* is now .*--fresh/);
  });
});

/** An RDB file with another format version in its header, and its CRC-64 recomputed. */
function restampFile(bytes: Buffer, version: number): Buffer {
  const out = Buffer.from(bytes);
  out.write(String(version).padStart(4, '0'), 5, 'latin1');
  out.writeBigUInt64LE(crc64(out.subarray(0, out.length - 8)), out.length - 8);
  return out;
}
