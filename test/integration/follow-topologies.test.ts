import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startLiveWriter, stopLiveWriters } from '../fixtures/live-writer.js';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { startFollowRun, stopFollowRuns } from '../helpers/follow-run.js';
import {
  type RedisCluster,
  type RedisServer,
  type SentinelSet,
  startCluster,
  startRedis,
  startSentinelSet,
  waitUntil,
} from '../helpers/index.js';
import { comparingView, flushCluster, seedingView } from './topology-support.js';

describe('migrate --follow: cluster source (3 masters) and sentinel source with a failover mid-follow', () => {
  let cluster: RedisCluster;
  let set: SentinelSet;
  let target: RedisServer;
  let work: string;
  let n = 0;

  before(async () => {
    [cluster, set, target] = await Promise.all([
      startCluster({ masters: 3, replicasPerMaster: 0 }),
      startSentinelSet({ masterName: 'live', replicas: 1, sentinels: 3 }),
      startRedis(),
    ]);
    work = await mkdtemp(join(tmpdir(), 'ferry-follow-topo-'));
  });
  afterEach(async () => {
    await stopLiveWriters();
    await stopFollowRuns();
  });
  after(async () => {
    await Promise.all([cluster?.stop(), set?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  for (let rep = 1; rep <= 2; rep++) {
    it(`cluster → standalone: every master followed, identical after cutover (repetition ${rep})`, async () => {
      await Promise.all([flushCluster(cluster), target.client().flushall()]);
      await Promise.all(cluster.masters.map((m) => m.client().config('SET', 'notify-keyspace-events', 'AE')));
      const writes = cluster.client();
      await seedStrings(seedingView(writes), 1500, 'bulk:');
      const writer = startLiveWriter(writes, { seed: 20 + rep });
      const run = startFollowRun({
        source: `redis://${cluster.seed.address}?cluster=true`,
        target: `redis://${target.address}`,
        id: `cluster-${++n}`,
        stateDir: work,
      });
      await run.waitFor(/following the source's writes/, 'the copy to finish');
      await writer.reached(3000);
      await writer.stop();
      const result = await run.cutover();
      assert.equal(result.code, 0, run.output());
      assert.match(run.output(), /safe to switch/);
      await assertSameData(comparingView(cluster), target.client());
    });
  }

  it('sentinel → standalone: a failover mid-follow is a gap, healed; identical after cutover', async () => {
    const writes = set.client();
    await Promise.all([writes.flushall(), target.client().flushall()]);
    for (const node of [set.master, ...set.replicas]) await node.client().config('SET', 'notify-keyspace-events', 'AE');
    await seedStrings(writes, 1500, 'bulk:');
    const writer = startLiveWriter(writes, { seed: 30 });
    const run = startFollowRun({
      source: `redis-sentinel://${set.sentinelAddresses.join(',')}?master=live`,
      target: `redis://${target.address}`,
      id: `sentinel-${++n}`,
      stateDir: work,
    });
    await run.waitFor(/following the source's writes/, 'the copy to finish');
    await writer.reached(1500);
    const promoted = await set.failover();
    await run.waitFor(new RegExp(`subscribed again on ${promoted.address.replace(/\./g, '\\.')}`), 'the follower on the new master');
    await run.waitFor(/reconciled \(/, 'the reconcile after the failover');
    await writer.reached(4000);
    await writer.stop();
    const result = await run.cutover();
    assert.equal(result.code, 0, run.output());
    await waitUntil(async () => (await promoted.client().dbsize()) === (await writes.dbsize()), {
      description: 'the client on the new master',
    });
    await assertSameData(promoted.client(), target.client());
  });
});
