import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { parseConfig } from '../../src/core/config.js';
import { ClusterRouter } from '../../src/redis/cluster-router.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { clusterPipeReader } from '../../src/verify/cluster-state-reader.js';
import { clientReader } from '../../src/verify/key-state-reader.js';
import { type RedisCluster, startCluster } from '../helpers/index.js';

/** Verify reads a cluster target per master over pipes, and falls back to the Cluster client on redirects. */
describe('Function: clusterPipeReader', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let router: ClusterRouter;
  const keys = Array.from({ length: 300 }, (_, i) => Buffer.from(`key:${i}:\xff`, 'latin1'));

  before(async () => {
    cluster = await startCluster({ masters: 3 });
    client = cluster.client();
    for (const [i, key] of keys.entries()) {
      if (i % 10 === 9) continue; // some keys missing
      if (i % 3 === 0) await client.hset(key, 'f', `v${i}`);
      else await client.set(key, `value-${i}`, 'PX', 3_600_000);
    }
    router = await ClusterRouter.open(
      parseConfig({ source: { addresses: ['127.0.0.1:1'] }, target: { addresses: [cluster.seed.address], topology: 'cluster' } }).target,
    );
  });
  after(async () => {
    await router?.close();
    await cluster?.stop();
  });

  const normalized = (states: [string, number][]) => states.map(([type, ttl]) => [type, ttl > 0 ? 'ttl' : ttl]);

  it('reads the same types, TTLs and payloads as the Cluster client, keys spread over every master', async () => {
    const reader = clusterPipeReader(router, clientReader(client));
    assert.deepEqual(normalized(await reader.typesAndTtls(keys)), normalized(await clientReader(client).typesAndTtls(keys)));
    const dumps = await reader.dumps(keys);
    assert.deepEqual(dumps, await clientReader(client).dumps(keys));
    assert.equal(dumps[9], null, 'a missing key dumps as null');
    assert.equal(new Set(keys.map((k) => router.ownerOf(keySlot(k)))).size, 3, 'the keys span all three masters');
  });

  it('reads a group again through the Cluster client when its node answers MOVED (a stale slot map)', async () => {
    const slot = keySlot(keys[1]!);
    const owner = router.ownerOf(slot)!;
    const wrong = router.masters().find((m) => m !== owner)!;
    router.learn(slot, wrong); // as if the slot had moved away since the layout was read
    let fallbackCalls = 0;
    const counting = clientReader(client);
    const reader = clusterPipeReader(router, {
      typesAndTtls: (group) => {
        fallbackCalls++;
        return counting.typesAndTtls(group);
      },
      dumps: counting.dumps,
    });
    const states = await reader.typesAndTtls(keys);
    assert.equal(fallbackCalls, 1, 'only the redirected group went through the Cluster client');
    assert.deepEqual(normalized(states), normalized(await counting.typesAndTtls(keys)));
    await router.refresh();
    assert.equal(router.ownerOf(slot), owner, 'the refreshed layout names the real owner again');
  });
});
