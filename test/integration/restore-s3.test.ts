import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadEveryEncoding } from '../fixtures/rdb-dataset.js';
import { jsonRunArgs, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';
import { type S3Server, startS3Server } from '../helpers/s3-server.js';

/**
 * `redis-ferry restore s3://bucket/key --s3-endpoint …`: a file BGSAVEd by a real redis-server (every
 * type and encoding, keys in db 0 and db 3), uploaded to s3rver (a real S3 API on loopback), restored
 * in several byte ranges into a standalone target, compared key by key with the server that wrote it.
 */
describe('restore from S3 (s3rver) through the CLI', () => {
  let source: RedisServer;
  let target: RedisServer;
  let s3: S3Server;
  let work: string;
  const uri = 's3://restore-tests/backups/every-encoding.rdb';

  before(async () => {
    [source, target, s3] = await Promise.all([startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS }), startRedis(), startS3Server()]);
    await loadEveryEncoding(source.client());
    // Small keys beside the big ones: the file's key order is the server's hash order (random per
    // process), so without them every cut could fall inside the few big keys and the ranges merge.
    const filler = Array.from({ length: 3000 }, (_, i) => [`filler:${i}`, 'f'.repeat(1000)]).flat();
    await source.client().mset(...filler);
    const file = await saveRdb(source, 'every-encoding');
    await s3.createBucket('restore-tests');
    await s3.putObject('restore-tests', 'backups/every-encoding.rdb', { path: file });
    work = await mkdtemp(join(tmpdir(), 'ferry-restore-s3-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop(), s3?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const restore = (from: string, ...extra: string[]) =>
    runCli(jsonRunArgs(['restore', from], { target: `redis://${target.address}`, stateDir: join(work, 'state') }, ...extra), s3.env());

  it('restores the object in several ranges, identical key by key, verified against the file', async () => {
    const result = await restore(uri, '--s3-endpoint', s3.endpoint, '--parallel', '8', '--verify', 'full', '--id', 'from-s3');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'completed');
    assert.ok(summary.units.length >= 3, `several range units (${summary.units.length})`);
    assert.equal(summary.verify.passed, true, JSON.stringify(summary.verify.totals));
    for (const db of [0, 3]) await assertSameData(source.client({ db }), target.client({ db }));
  });

  it('says in one line, exit 2, when the object does not exist, and touches nothing', async () => {
    await target.client().flushall();
    const result = await restore('s3://restore-tests/backups/missing.rdb', '--s3-endpoint', s3.endpoint, '--id', 'missing');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /s3:\/\/restore-tests\/backups\/missing\.rdb does not exist/);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.equal(await target.client().dbsize(), 0);
  });

  it('refuses a malformed URI in one line, exit 2', async () => {
    const result = await restore('s3://Bad_Bucket/dump.rdb', '--s3-endpoint', s3.endpoint);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /bad S3 URI "s3:\/\/Bad_Bucket\/dump\.rdb": "Bad_Bucket" is not a valid bucket name/);
  });
});
