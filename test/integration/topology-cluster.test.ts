import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import type { MigrationRecord } from '../../src/core/contracts.js';
import { ClusterKeySink } from '../../src/redis/cluster-key-sink.js';
import { ClusterRouter } from '../../src/redis/cluster-router.js';
import { keySlot } from '../../src/redis/key-slot.js';
import { discoverSource } from '../../src/redis/source-access.js';
import { planMigration } from '../../src/runner/plan-migration.js';
import { type RunEvent, runMigration } from '../../src/runner/run-migration.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { oneErrorLine, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis, waitUntil } from '../helpers/index.js';
import { clientCounter, comparingView, flushCluster, scenarioFile, seedingView } from './topology-support.js';

const SRC_PASSWORD = 'r-ccccc:xxxxx';
const DST_PASSWORD = 'r-ddddd:xxxxx';
const STANDALONE_PASSWORD = 'r-aaaaa:xxxxx';

describe('topology: cluster sources and targets (3 masters + 1 replica each)', () => {
  let src: RedisCluster;
  let dst: RedisCluster;
  let standalone: RedisServer;
  let work: string;

  before(async () => {
    [src, dst, standalone] = await Promise.all([
      startCluster({ masters: 3, replicasPerMaster: 1, password: SRC_PASSWORD }),
      startCluster({ masters: 3, replicasPerMaster: 1, password: DST_PASSWORD }),
      startRedis({ password: STANDALONE_PASSWORD }),
    ]);
    work = await mkdtemp(join(tmpdir(), 'ferry-cluster-'));
    await Promise.all([seedMixedDataset(standalone.client()), seedMixedDataset(seedingView(src.client()))]);
  });
  after(async () => {
    await Promise.all([src?.stop(), dst?.stop(), standalone?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const endpoint = (cluster: RedisCluster, password: string, extra: Record<string, unknown> = {}) => ({
    addresses: [cluster.replicas[0]!.address],
    password,
    ...extra,
  });

  it('scenario 2: standalone → cluster with the v3 file ([target] type = "cluster", any one node): every key identical', async () => {
    await flushCluster(dst);
    const file = await scenarioFile(work, 'redis-shake-v3/standalone-to-cluster.toml', {
      source: { address: standalone.address, password: STANDALONE_PASSWORD },
      target: { address: dst.replicas[1]!.address, password: DST_PASSWORD },
    });
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /standalone 127\.0\.0\.1:\d+ → cluster/);
    const keys = await assertSameData(standalone.client(), comparingView(dst));
    assert.ok(keys > 500, `expected the mixed dataset, saw ${keys} keys`);
    assert.doesNotMatch(result.stderr + result.stdout, /r-aaaaa|r-ddddd/, 'no password in the output');
  });

  it('scenario 3: cluster → cluster with the v3 file, found from one replica, every shard in one run; the plan lists node ids and slot ranges', async () => {
    await flushCluster(dst);
    const file = await scenarioFile(work, 'redis-shake-v3/cluster-to-cluster.toml', {
      source: { address: src.replicas[2]!.address, password: SRC_PASSWORD },
      target: { address: dst.seed.address, password: DST_PASSWORD },
    });
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /cluster 127\.0\.0\.1:\d+ → cluster .*3 unit\(s\)/);
    for (const range of ['0-5460', '5461-10921', '10922-16383']) {
      assert.match(
        result.stderr,
        new RegExp(`unit slots-${range}/db0: shard ${range} @ 127\\.0\\.0\\.1:\\d+ \\([0-9a-f]{8}\\) master db0`),
        `plan line for ${range}`,
      );
    }
    assert.match(result.stdout, /units\s+3\/3 done/);
    await assertSameData(comparingView(src), comparingView(dst));
  });

  it('the v4 scan.toml with [scan_reader] cluster = true works unchanged (addresses and secrets from the environment)', async () => {
    await flushCluster(dst);
    const file = await scenarioFile(work, 'redis-shake-v4/scan.toml', {}, [
      [/^cluster = false(\s+# true if the source is a cluster)/m, 'cluster = true$1'],
    ]);
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain'], {
      SHAKE_SRC_ADDRESS: src.masters[1]!.address,
      SHAKE_SRC_PASSWORD: SRC_PASSWORD,
      SHAKE_DST_ADDRESS: dst.replicas[0]!.address,
      REDIS_FERRY_TARGET_PASSWORD: DST_PASSWORD,
    });
    assert.equal(result.code, 0, result.stderr);
    await assertSameData(comparingView(src), comparingView(dst));
  });

  it('prefer_replica scans every shard on a replica (READONLY), runs all shards at once, and closes every connection it opened', async () => {
    await flushCluster(dst);
    const connectedClients = clientCounter([...src.nodes, ...dst.nodes]);
    const baseline = await connectedClients();
    const running = new Set<string>();
    let mostAtOnce = 0;
    const summary = await runMigration({
      // Rate-limited (over all units) so that each unit lasts long enough to overlap the others.
      config: parseConfig({
        source: endpoint(src, SRC_PASSWORD, { preferReplica: true }),
        target: endpoint(dst, DST_PASSWORD),
        scan: { count: 50 },
        rateLimit: 1500,
      }),
      migrationId: 'replicas',
      store: new MemoryCheckpointStore(),
      onEvent: (e: RunEvent) => {
        if (e.type !== 'progress') return;
        if (e.checkpoint.status === 'running') running.add(e.unit.id);
        else running.delete(e.unit.id);
        mostAtOnce = Math.max(mostAtOnce, running.size);
      },
    });
    assert.equal(summary.status, 'completed', summary.error?.message);
    const replicaAddresses = src.replicas.map((r) => r.address);
    for (const { unit } of summary.units) assert.ok(replicaAddresses.includes(unit.sourceAddress), `${unit.label} reads a replica`);
    assert.equal(mostAtOnce, 3, 'the three shards are copied concurrently');
    // Identical to what the replicas serve. (Redis 7.0 replicas do not track a stream group's
    // entries-read counter, so its lag reads as unknown there: see docs/topologies.md.)
    const open = async () => JSON.stringify(await connectedClients());
    await waitUntil(async () => (await open()) === JSON.stringify(baseline) || `${await open()} vs ${JSON.stringify(baseline)}`, {
      description: 'connections to be closed',
    });
    await assertSameData(comparingView(src, { replicas: true }), comparingView(dst));
  });

  it('Redis 7 functions: read from one source master (the others checked against it) and restored on every target master', async () => {
    await flushCluster(dst);
    const mylib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";
    const extra = "#!lua name=extra\nredis.register_function('extra', function() return 1 end)";
    try {
      for (const master of src.masters) await master.client().call('FUNCTION', 'LOAD', mylib);
      await src.masters[1]!.client().call('FUNCTION', 'LOAD', extra);
      const notes: string[] = [];
      const summary = await runMigration({
        config: parseConfig({ source: endpoint(src, SRC_PASSWORD), target: endpoint(dst, DST_PASSWORD) }),
        migrationId: 'functions',
        store: new MemoryCheckpointStore(),
        onEvent: (e) => e.type === 'note' && notes.push(e.message),
      });
      assert.equal(summary.status, 'completed', summary.error?.message);
      const log = notes.join('\n');
      const holder = src.masters[1]!.address.replace(/\./g, '\\.');
      assert.match(log, new RegExp(`source nodes differ in their function libraries \\(.*\\); copying those of ${holder}: extra, mylib`));
      assert.match(log, /functions: copied 2 function libraries \(extra, mylib; 2 functions\) .* to 3 of 3 target masters/);
      for (const master of dst.masters) {
        assert.equal(await master.client().call('FCALL', 'myfunc', '0', master.address), master.address, `FCALL on ${master.address}`);
        assert.equal(await master.client().call('FCALL', 'extra', '0'), 1);
      }
      await assertSameData(comparingView(src), comparingView(dst));
    } finally {
      await Promise.all([...src.masters, ...dst.masters].map((m) => m.client().call('FUNCTION', 'FLUSH')));
    }
  });

  it('several source dbs into a cluster target is an error saying how to map them; an explicit db_map is accepted', async () => {
    await flushCluster(dst);
    await standalone.client({ db: 2 }).set('in-db2', 'x');
    try {
      const result = await runCli(
        [
          'migrate',
          '--source',
          `redis://${standalone.address}`,
          '--target',
          `redis://${dst.seed.address}`,
          '--state-dir',
          join(work, 'state'),
          '--progress',
          'none',
        ],
        {
          REDIS_FERRY_SOURCE_PASSWORD: STANDALONE_PASSWORD,
          REDIS_FERRY_TARGET_PASSWORD: DST_PASSWORD,
        },
      );
      assert.match(
        oneErrorLine(result, { code: 2 }),
        /target is a cluster, which has db 0 only, but source db\(s\) 2 hold keys: map them explicitly with db_map = \{ "2" = 0 \}.*--db-map 2:0/,
      );

      const mapped = parseConfig({
        source: { addresses: [standalone.address], password: STANDALONE_PASSWORD },
        target: endpoint(dst, DST_PASSWORD),
        dbMap: { '2': 0 },
        dryRun: true,
      });
      const planned = await planMigration(mapped, 'mapped', new MemoryCheckpointStore(), () => {});
      assert.deepEqual(
        planned.plan.units.map((u) => [u.sourceDb, u.targetDb]),
        [
          [0, 0],
          [2, 0],
        ],
      );
    } finally {
      await standalone.client({ db: 2 }).flushdb();
    }
  });

  it('a managed-service ACL: CLUSTER SHARDS denied falls back to CLUSTER SLOTS and says so; all CLUSTER denied on a multi-node cluster fails in one line', async () => {
    for (const node of src.nodes) {
      await node.client().call('ACL', 'SETUSER', 'noshards', 'on', '>pw', '~*', '+@all', '-cluster|shards');
      await node.client().call('ACL', 'SETUSER', 'nocluster', 'on', '>pw', '~*', '+@all', '-cluster');
    }
    const layout = await discoverSource(
      parseConfig({
        source: { addresses: [src.seed.address], username: 'noshards', password: 'pw' },
        target: { addresses: ['127.0.0.1:1'] },
      }).source,
    );
    assert.equal(layout.shards.length, 3);
    assert.ok(
      layout.notes.some((n) => /CLUSTER SHARDS \(NOPERM[^)]*\) refused; read the cluster layout with CLUSTER SLOTS/.test(n)),
      layout.notes.join('\n'),
    );

    const denied = parseConfig({
      source: { addresses: [src.seed.address], username: 'nocluster', password: 'pw' },
      target: { addresses: ['127.0.0.1:1'] },
    }).source;
    await assert.rejects(
      discoverSource(denied),
      /source 127\.0\.0\.1:\d+ is one node of a multi-node cluster \(MOVED \d+ [^)]+\), but .*Allow CLUSTER SLOTS/,
    );
  });

  it('target redirects: a stale slot map is corrected by MOVED, and ASK is followed during a slot migration', async () => {
    await flushCluster(dst);
    const config = parseConfig({ source: { addresses: ['127.0.0.1:1'] }, target: endpoint(dst, DST_PASSWORD) });
    const router = await ClusterRouter.open(config.target);
    const sink = new ClusterKeySink(router);
    try {
      // Every slot wrongly mapped to one master: two thirds of the writes get MOVED.
      const wrong = dst.masters[0]!.address;
      for (let slot = 0; slot < 16384; slot++) router.learn(slot, wrong);
      const records = await dumpRecords(standalone, 300);
      const result = await sink.write(records, 'keep');
      assert.equal(result.written, 300);
      assert.equal(await comparingView(dst).dbsize(), 300);

      // ASK: slot of key "ask-me" is being migrated from its owner to another master.
      const key = Buffer.from('ask-me');
      const slot = keySlot(key);
      const owner = dst.masters.find((m) => m.address === router.ownerOf(slot))!;
      const other = dst.masters.find((m) => m !== owner)!;
      const [ownerId, otherId] = await Promise.all([owner.client().call('CLUSTER', 'MYID'), other.client().call('CLUSTER', 'MYID')]);
      await other.client().call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ownerId as string);
      await owner.client().call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', otherId as string);
      const [record] = await dumpRecords(standalone, 1);
      const asked = await sink.write([{ ...record!, key }], 'keep');
      assert.equal(asked.written, 1);
      const replies = (await other.client().pipeline().call('ASKING').exists(key).exec()) as [Error | null, unknown][];
      assert.equal(replies[1]![1], 1, 'the key went to the importing node');
      // Finish the migration of that slot so the cluster is consistent again.
      for (const node of [owner, other]) await node.client().call('CLUSTER', 'SETSLOT', slot, 'NODE', otherId as string);
      await dst.waitHealthy();
    } finally {
      await router.close();
    }
  });

  it('a source replica promoted (CLUSTER FAILOVER) and a target failover during the run: the unit restarts on the new master and every key arrives', async () => {
    await Promise.all([flushCluster(src), flushCluster(dst)]);
    const seeder = seedingView(src.client());
    await seedStrings(seeder, 24_000, 'bulk:');
    await seedMixedDataset(seeder, { prefix: 'fo:' });
    const events: RunEvent[] = [];
    const batches = new Map<string, number>();
    const run = runMigration({
      config: parseConfig({
        source: endpoint(src, SRC_PASSWORD),
        target: endpoint(dst, DST_PASSWORD),
        scan: { count: 200 },
        rateLimit: 4000,
      }),
      migrationId: 'failover',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress') batches.set(e.unit.sourceAddress, e.checkpoint.counters.batches);
      },
    });
    // Promote the replica of the shard whose unit has copied a few batches.
    const oldMaster = src.masters[0]!;
    await waitUntil(async () => (batches.get(oldMaster.address) ?? 0) >= 3 || 'waiting for batches', {
      description: 'the first shard to copy some batches',
    });
    await src.failover(src.replicas[0]!);
    await dst.failover(dst.replicas[1]!);
    const summary = await run;

    const notes = events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'retry' ? [`retry: ${e.reason}`] : []));
    assert.equal(summary.status, 'completed', `${summary.error?.message}\n${notes.join('\n')}`);
    assert.ok(
      notes.some((n) => /restarting its scan on shard 0-5460 @ .* master from cursor 0/.test(n)),
      notes.join('\n'),
    );
    // Noticed by the INFO check before a SCAN, or by MOVED on a DUMP already in flight.
    assert.ok(
      notes.some((n) =>
        new RegExp(`retry: source node ${oldMaster.address.replace(/\./g, '\\.')} (is now a replica|no longer serves slots 0-5460)`).test(
          n,
        ),
      ),
      notes.join('\n'),
    );
    const unit = summary.units.find((u) => u.unit.sourceAddress === oldMaster.address)!;
    assert.ok(unit.checkpoint.rescanReason, 'the restart marker is set');
    assert.ok(unit.checkpoint.counters.recopied > 0, 'the restarted scan rewrote keys with REPLACE');
    await assertSameData(comparingView(src), comparingView(dst));
  });

  // Last: it leaves each cluster with a dead node.
  it('a source master and a target master killed during the run (automatic failover): retried with backoff, every key arrives', async () => {
    await Promise.all([flushCluster(src), flushCluster(dst)]);
    const seeder = seedingView(src.client());
    await seedStrings(seeder, 15_000, 'bulk:');
    await seedMixedDataset(seeder, { prefix: 'kill:' });
    const events: RunEvent[] = [];
    const batches = new Map<string, number>();
    const victim = src.masters[1]!;
    const run = runMigration({
      config: parseConfig({
        source: { addresses: [src.masters[0]!.address], password: SRC_PASSWORD },
        target: { addresses: [dst.masters[0]!.address], password: DST_PASSWORD },
        scan: { count: 200 },
        rateLimit: 4000,
      }),
      migrationId: 'killed',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress') batches.set(e.unit.sourceAddress, e.checkpoint.counters.batches);
      },
    });
    await waitUntil(async () => (batches.get(victim.address) ?? 0) >= 3 || 'waiting for batches', {
      description: 'the victim shard to copy some batches',
    });
    victim.kill();
    dst.masters[2]!.kill();
    const summary = await run;

    const log = events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'retry' ? [`retry: ${e.reason}`] : [])).join('\n');
    assert.equal(summary.status, 'completed', `${summary.error?.message}\n${log}`);
    assert.match(log, new RegExp(`restarting its scan on shard 5461-10921 @ (?!${victim.address.replace(/\./g, '\\.')})`), log);
    await assertSameData(comparingView(src), comparingView(dst));
  });
});

/** DUMP + PTTL records of the first `n` keys of a standalone server (for sink-level tests). */
async function dumpRecords(server: RedisServer, n: number): Promise<MigrationRecord[]> {
  const [, keys] = (await server.client().scanBuffer('0', 'MATCH', 'str:*', 'COUNT', 10_000)) as [Buffer, Buffer[]];
  const chosen = keys.slice(0, n);
  const out: MigrationRecord[] = [];
  for (const key of chosen) out.push({ key, payload: await server.client().dumpBuffer(key), pttlMs: 0, readAtMs: performance.now() });
  const counter = await server.client().dumpBuffer('counter:1');
  for (let i = out.length; i < n; i++)
    out.push({ key: Buffer.from(`extra:${i}`), payload: counter, pttlMs: 0, readAtMs: performance.now() });
  return out;
}
