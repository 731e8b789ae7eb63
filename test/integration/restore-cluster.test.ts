import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Redis } from 'ioredis';
import { EXPIRED_KEY, loadEveryEncoding } from '../fixtures/rdb-dataset.js';
import { jsonRunArgs, runCli } from '../helpers/cli.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';

/** `redis-ferry restore` into a 3-master cluster: every key lands on the master of its slot, identical. */
describe('restore: an RDB file into a cluster target', () => {
  let source: RedisServer;
  let cluster: RedisCluster;
  let work: string;
  let file: string;

  before(async () => {
    [source, cluster] = await Promise.all([startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS }), startCluster({ masters: 3 })]);
    await loadEveryEncoding(source.client());
    file = await saveRdb(source, 'every-encoding');
    work = await mkdtemp(join(tmpdir(), 'ferry-restore-cluster-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), cluster?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const restore = (...extra: string[]) =>
    runCli(
      jsonRunArgs(['restore', file], { target: `redis://${cluster.seed.address}?cluster=true`, stateDir: join(work, 'state') }, ...extra),
    );

  it('refuses a file with keys in db 3 unless they are mapped or left out, before writing anything', async () => {
    const result = await restore('--id', 'refused');

    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /target is a cluster, which has db 0 only, but the file holds keys in db\(s\) 3: map them with --db-map 3:0/,
    );
    const sizes = await Promise.all(cluster.masters.map((m) => m.client().dbsize()));
    assert.deepEqual(sizes, [0, 0, 0]);
  });

  it('restores db 0 (and db 3 mapped onto it), key by key identical, with the large big-key threshold and a small one', async () => {
    for (const threshold of ['16777216', '2000']) {
      await Promise.all(cluster.masters.map((m) => m.client().flushall()));
      const result = await restore('--id', `t${threshold}`, '--db-map', '3:0', '--big-key-threshold', threshold, '--verify', 'full');

      assert.equal(result.code, 0, result.stderr);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.totals.skippedGone, 1, 'the expired key');
      assert.equal(summary.verify.passed, true, JSON.stringify(summary.verify.totals));
      await assertSameOnCluster(source.client(), source.client({ db: 3 }), cluster.client());
    }
  });
});

/** Every key of the source's db 0 and db 3 on the cluster with the same type, TTL (±1 s) and value; nothing else there. */
async function assertSameOnCluster(db0: Redis, db3: Redis, target: Cluster): Promise<void> {
  let expected = 0;
  for (const client of [db0, db3]) {
    const keys = (await client.keysBuffer('*')).filter((k) => k.toString() !== EXPIRED_KEY);
    expected += keys.length;
    for (const key of keys) {
      const label = JSON.stringify(key.toString('latin1'));
      assert.equal(await target.type(key), await client.type(key), `type of ${label}`);
      const [ttl, targetTtl] = [await client.pttl(key), await target.pttl(key)];
      assert.ok(ttl === -1 ? targetTtl === -1 : Math.abs(ttl - targetTtl) <= 1000, `TTL of ${label}: ${ttl} vs ${targetTtl}`);
      const [a, b] = [await client.dumpBuffer(key), await target.dumpBuffer(key)];
      if (!a.equals(b)) assert.deepEqual(await canonical(target, key), await canonical(client, key), `value of ${label}`);
    }
  }
  const sizes = await Promise.all(target.nodes('master').map((m) => m.dbsize()));
  assert.equal(
    sizes.reduce((n, s) => n + s, 0),
    expected,
    'nothing else on the cluster',
  );
}

async function canonical(client: Redis | Cluster, key: Buffer): Promise<unknown> {
  const type = await client.type(key);
  if (type === 'hash') return ((await client.callBuffer('HGETALL', key)) as Buffer[]).map((b) => b.toString('hex')).sort();
  if (type === 'set') return (await client.smembersBuffer(key)).map((b) => b.toString('hex')).sort();
  return type;
}
