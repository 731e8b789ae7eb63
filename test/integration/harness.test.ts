import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  makeTlsMaterial,
  parseInfo,
  type RedisCluster,
  type RedisServer,
  type SentinelSet,
  startCluster,
  startRedis,
  startSentinelSet,
  stopAll,
  type TlsMaterial,
} from '../helpers/index.js';

/** True while `pid` exists (signal 0 only checks, it delivers nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function assertGone(pid: number, dir: string): void {
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} still alive`);
  assert.equal(existsSync(dir), false, `${dir} still exists`);
}

// Belt and braces: whatever a failed `before` left behind.
after(() => stopAll());

describe('standalone server with password and ACL users', () => {
  let server: RedisServer;
  before(async () => {
    server = await startRedis({
      password: 'correct horse',
      aclUsers: [{ name: 'nodump', password: 'nodump-pw', rules: '~* +@all -dump' }],
    });
  });
  after(() => server.stop());

  it('rejects a wrong password with WRONGPASS', async () => {
    const client = server.client({
      password: 'wrong',
      redisOptions: { retryStrategy: () => null, maxRetriesPerRequest: 0 },
    });
    client.on('error', () => {}); // the rejection below is what we assert
    await assert.rejects(client.ping(), /WRONGPASS/);
  });

  it('accepts the right password', async () => {
    const client = server.client();
    assert.equal(await client.ping(), 'PONG');
    assert.equal(await client.set('greeting', 'hello'), 'OK');
    assert.equal(await client.get('greeting'), 'hello');
  });

  it('denies DUMP to an ACL user with -dump (NOPERM) but allows GET', async () => {
    await server.client().set('k', 'v');
    const user = server.client({ username: 'nodump', password: 'nodump-pw' });
    assert.equal(await user.get('k'), 'v');
    await assert.rejects(user.dump('k'), /NOPERM/);
  });
});

describe('TLS-only server', () => {
  let tls: TlsMaterial;
  let server: RedisServer;
  before(async () => {
    tls = await makeTlsMaterial();
    server = await startRedis({ tls });
  });
  after(async () => {
    await server?.stop();
    await tls?.cleanup();
  });

  it('accepts a client trusting the test CA, and has no plain port', async () => {
    const client = server.client();
    assert.equal(await client.ping(), 'PONG');
    assert.deepEqual(await client.config('GET', 'port'), ['port', '0']);
  });

  it('rejects a client trusting the wrong CA with a certificate error', async () => {
    const client = server.client({
      redisOptions: {
        tls: { ca: readFileSync(tls.wrongCaFile) },
        lazyConnect: true,
        retryStrategy: () => null,
      },
    });
    // connect() only says "Connection is closed."; the TLS error is emitted.
    const failure = once(client, 'error');
    await assert.rejects(client.connect());
    const [err] = (await failure) as [NodeJS.ErrnoException];
    assert.match(String(err.code), /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|CERT/);
  });
});

describe('cluster: 3 masters, 1 replica each', () => {
  let cluster: RedisCluster;
  before(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 1, password: 'cluster-pw' });
  });
  after(async () => {
    const procs = cluster?.nodes.map((n) => [n.pid, n.dir] as const) ?? [];
    await cluster?.stop();
    for (const [pid, dir] of procs) assertGone(pid, dir);
  });

  it('reports cluster_state:ok and covers all 16384 slots', async () => {
    assert.equal(cluster.masters.length, 3);
    assert.equal(cluster.replicas.length, 3);
    for (const node of cluster.nodes) {
      const info = parseInfo(String(await node.client().call('CLUSTER', 'INFO')));
      assert.equal(info.cluster_state, 'ok', node.address);
      assert.equal(info.cluster_slots_assigned, '16384', node.address);
    }
    const ranges = ((await cluster.seed.client().call('CLUSTER', 'SLOTS')) as [number, number][])
      .map(([start, end]) => [start, end])
      .sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    let next = 0;
    for (const [start, end] of ranges) {
      assert.equal(start, next, 'slot ranges must be contiguous');
      next = (end ?? 0) + 1;
    }
    assert.equal(next, 16384);
  });

  it('serves SET/GET through an ioredis Cluster client on every master', async () => {
    const client = cluster.client();
    const owners = new Map<number, string>(); // master port -> a key it owns
    const slots = (await cluster.seed.client().call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    for (let i = 0; owners.size < 3 && i < 1000; i++) {
      const key = `key:${i}`;
      const slot = Number(await cluster.seed.client().call('CLUSTER', 'KEYSLOT', key));
      const range = slots.find(([start, end]) => slot >= start && slot <= end);
      assert.ok(range);
      if (!owners.has(range[2][1])) owners.set(range[2][1], key);
    }
    assert.equal(owners.size, 3);
    for (const [port, key] of owners) {
      assert.equal(await client.set(key, `value@${port}`), 'OK');
      assert.equal(await client.get(key), `value@${port}`);
      // And it really lives on that master, not just somewhere.
      const master = cluster.masters.find((m) => m.port === port);
      assert.ok(master);
      assert.equal(await master.client().get(key), `value@${port}`);
    }
  });

  it('failover() promotes the replica', async () => {
    const replica = cluster.replicas[0];
    assert.ok(replica);
    await cluster.failover(replica);
    const role = (await replica.client().role()) as unknown[];
    assert.equal(role[0], 'master');
    assert.ok(cluster.masters.includes(replica));
    assert.equal(cluster.replicas.includes(replica), false);
    // The cluster keeps serving writes after the promotion.
    const client = cluster.client();
    for (const key of ['after:a', 'after:b', 'after:c']) {
      await client.set(key, key);
      assert.equal(await client.get(key), key);
    }
  });
});

describe('sentinel set', () => {
  let set: SentinelSet;
  before(async () => {
    set = await startSentinelSet({ masterName: 'mymaster', replicas: 1, sentinels: 3, password: 'sentinel-pw' });
  });
  after(async () => {
    const procs = [set?.master, ...(set?.replicas ?? []), ...(set?.sentinels ?? [])].flatMap((p) => (p ? [[p.pid, p.dir] as const] : []));
    await set?.stop();
    for (const [pid, dir] of procs) assertGone(pid, dir);
  });

  it('resolves the master by name through the sentinels', async () => {
    assert.equal(set.sentinelAddresses.length, 3);
    const client = new Redis({
      sentinels: set.sentinelAddresses.map((a) => {
        const [host, port] = a.split(':');
        return { host, port: Number(port) };
      }),
      name: set.masterName,
      password: 'sentinel-pw',
    });
    try {
      const info = parseInfo(await client.info('server'));
      assert.equal(info.tcp_port, String(set.master.port));
      await client.set('via-sentinel', '1');
      // WAIT: the write reached the replica, so replication is real.
      assert.equal(await client.wait(1, 2_000), 1);
      assert.equal(await set.replicas[0]?.client().get('via-sentinel'), '1');
    } finally {
      client.disconnect();
    }
  });
});

describe('process lifecycle', () => {
  it('stop() ends the pid and removes the dir, and is idempotent', async () => {
    const server = await startRedis();
    assert.ok(alive(server.pid));
    assert.ok(existsSync(server.dir));
    assert.equal(await server.client().ping(), 'PONG');
    await server.stop();
    assertGone(server.pid, server.dir);
    await server.stop();
  });

  it('kill() SIGKILLs the server and stop() still cleans up', async () => {
    const server = await startRedis();
    const client = server.client({ redisOptions: { retryStrategy: () => null } });
    client.on('error', () => {});
    assert.equal(await client.ping(), 'PONG');
    const closed = once(client, 'end');
    server.kill();
    await closed; // the connection dropped: the server is really gone
    await server.stop();
    assertGone(server.pid, server.dir);
  });
});
