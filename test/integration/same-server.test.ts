import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { errorLines, runCli } from '../helpers/cli.js';
import { parseInfo, type RedisCluster, type RedisServer, startCluster, startRedis } from '../helpers/index.js';

/** Writes the server has applied (its dirty counter; saving is off in tests): unchanged means nothing was written. */
async function changes(server: RedisServer): Promise<number> {
  return Number(parseInfo(await server.client().info('persistence')).rdb_changes_since_last_save);
}

describe('CLI: source and target are the same server', () => {
  let server: RedisServer;
  let cluster: RedisCluster;
  let work: string;

  before(async () => {
    [server, cluster] = await Promise.all([startRedis(), startCluster({ masters: 1, replicasPerMaster: 1 })]);
    await seedStrings(server.client(), 50);
    await server.client({ db: 2 }).set('db2-key', 'x');
    await cluster.client().set('cluster-key', 'x');
    work = await mkdtemp(join(tmpdir(), 'ferry-same-'));
  });
  after(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const migrate = (state: string, ...args: string[]) =>
    runCli(['migrate', ...args, '--state-dir', join(work, state), '--progress', 'none', '--verify', 'none']);

  it('refuses 127.0.0.1 → localhost of one server, even with --on-existing replace: one line, exit 2, nothing written', async () => {
    const before = await changes(server);
    // Act: two names of the same server.
    const result = await migrate(
      'by-name',
      '--source',
      `redis://127.0.0.1:${server.port}`,
      '--target',
      `redis://localhost:${server.port}`,
      '--on-existing',
      'replace',
    );
    // Assess
    assert.equal(result.code, 2, result.stderr);
    const lines = errorLines(result);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /source 127\.0\.0\.1:\d+ and target localhost:\d+ are the same Redis server \(INFO run_id \w+… on both\)/);
    assert.match(lines[0]!, /copying db 0 onto db 0 would rewrite its keys onto themselves/);
    assert.match(lines[0]!, /only a copy to a different db is allowed/);
    assert.equal(await changes(server), before);
    assert.deepEqual(await readdir(join(work, 'by-name')).catch(() => []), [], 'no checkpoint left behind');
  });

  it('allows moving a db to another db of the same server', async () => {
    const result = await migrate(
      'move',
      '--source',
      `redis://127.0.0.1:${server.port}`,
      '--target',
      `redis://localhost:${server.port}`,
      '--dbs',
      '0',
      '--db-map',
      '0:5',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /note: source and target are the same server .*moving keys between its dbs \(db0 → db5\)/);
    assert.equal(await server.client({ db: 5 }).dbsize(), await server.client({ db: 0 }).dbsize());
    await server.client({ db: 5 }).flushdb();
  });

  it('refuses a db mapping that writes into a db that is itself copied', async () => {
    const result = await migrate(
      'chain',
      '--source',
      `redis://127.0.0.1:${server.port}`,
      '--target',
      `redis://localhost:${server.port}`,
      '--dbs',
      '0,2',
      '--db-map',
      '0:2,2:3',
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(errorLines(result).join('\n'), /db 2 would be written \(from db 0\) while it is itself being copied/);
    assert.equal(await server.client({ db: 3 }).dbsize(), 0);
  });

  it('refuses a cluster given by its master as source and by its replica as target', async () => {
    const before = await changes(cluster.masters[0]!);
    const result = await migrate(
      'cluster',
      '--source',
      `redis://${cluster.masters[0]!.address}?cluster=true`,
      '--target',
      `redis://${cluster.replicas[0]!.address}?cluster=true`,
      '--on-existing',
      'replace',
    );
    assert.equal(result.code, 2, result.stderr);
    const lines = errorLines(result);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /are the same Redis cluster .*point the target at another cluster/);
    assert.equal(await changes(cluster.masters[0]!), before);
  });
});
