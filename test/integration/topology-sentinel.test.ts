import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { type RunEvent, runMigration } from '../../src/runner/run-migration.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { oneErrorLine, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, type SentinelSet, startRedis, startSentinelSet, waitUntil } from '../helpers/index.js';

const PASSWORD = 'sentinel-data-pw';

describe('topology: sentinel sources and targets (1 master + 1 replica + 3 sentinels)', () => {
  let set: SentinelSet;
  let plain: RedisServer;
  let work: string;

  before(async () => {
    [set, plain] = await Promise.all([
      startSentinelSet({ masterName: 'mymaster', replicas: 1, sentinels: 3, password: PASSWORD }),
      startRedis(),
    ]);
    work = await mkdtemp(join(tmpdir(), 'ferry-sentinel-'));
  });
  after(async () => {
    await Promise.all([set?.stop(), plain?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  /** The server the sentinels call master now (a failover changes it). */
  const currentMaster = async (): Promise<RedisServer> => {
    const [host, port] = (await set.sentinels[0]!.client().call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as [string, string];
    return [set.master, ...set.replicas].find((s) => s.address === `${host}:${port}`)!;
  };
  const emptyAll = async () => {
    const master = await currentMaster();
    await Promise.all([master.client().flushall(), plain.client().flushall()]);
    await waitUntil(
      async () =>
        (await Promise.all(set.replicas.concat(set.master).map((s) => s.client().dbsize()))).every((n) => n === 0) ||
        'replicas catching up',
      { description: 'every node of the set to be empty' },
    );
  };
  const sentinelEndpoint = (extra: Record<string, unknown> = {}) => ({
    topology: 'sentinel',
    addresses: set.sentinelAddresses,
    masterName: 'mymaster',
    password: PASSWORD,
    ...extra,
  });

  it('scenario 4: sentinel source → standalone, found through the sentinels by master name (v4 file)', async () => {
    await emptyAll();
    await seedMixedDataset((await currentMaster()).client());
    const file = join(work, 'sentinel-source.toml');
    await writeFile(
      file,
      `[scan_reader]\nsentinel = true\nmaster = "mymaster"\naddress = "${set.sentinelAddresses.join(',')}"\npassword = "\${SRC_PASSWORD}"\n\n[redis_writer]\naddress = "${plain.address}"\n`,
    );
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain'], { SRC_PASSWORD: PASSWORD });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /sentinel 127\.0\.0\.1:\d+ → standalone/);
    assert.match(result.stderr, /unit db0: mymaster master 127\.0\.0\.1:\d+ db0/);
    const keys = await assertSameData((await currentMaster()).client(), plain.client());
    assert.ok(keys > 500);
    assert.doesNotMatch(result.stderr + result.stdout, new RegExp(PASSWORD));
  });

  it('prefer_replica reads the replica the sentinels list (the redis-shake recommendation)', async () => {
    await plain.client().flushall();
    const summary = await runMigration({
      config: parseConfig({ source: sentinelEndpoint({ preferReplica: true }), target: { addresses: [plain.address] } }),
      migrationId: 'replica',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(summary.status, 'completed', summary.error?.message);
    const [unit] = summary.units;
    assert.equal(unit!.unit.sourceAddress, set.replicas[0]!.address);
    assert.match(unit!.unit.label, /^mymaster replica 127\.0\.0\.1:\d+ db0$/);
    await assertSameData(set.replicas[0]!.client(), plain.client());
  });

  it('standalone → sentinel target: writes go to the master the sentinels name (v4 file)', async () => {
    await emptyAll();
    await seedMixedDataset(plain.client());
    const file = join(work, 'sentinel-target.toml');
    await writeFile(
      file,
      `[scan_reader]\naddress = "${plain.address}"\n\n[redis_writer]\nsentinel = true\nmaster = "mymaster"\naddress = "${set.sentinelAddresses.join(',')}"\npassword = "${PASSWORD}"\n`,
    );
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /standalone 127\.0\.0\.1:\d+ → sentinel/);
    await assertSameData(plain.client(), (await currentMaster()).client());
  });

  it('a master name the sentinels do not monitor fails in one line saying what to set', async () => {
    const result = await runCli([
      'migrate',
      '--source',
      `redis://${plain.address}`,
      '--target',
      `redis-sentinel://${set.sentinelAddresses.join(',')}?master=nosuch`,
      '--state-dir',
      join(work, 'state'),
      '--progress',
      'none',
    ]);
    assert.match(
      oneErrorLine(result, { code: 2 }),
      /target sentinel\(s\) .* monitor no master named "nosuch": set master to the name in their "sentinel monitor <name> …" line/,
    );
  });

  it('a sentinel failover of the target during the run: writes follow the new master and every key arrives', async () => {
    await emptyAll();
    await seedStrings(plain.client(), 20_000, 'bulk:');
    await seedMixedDataset(plain.client(), { prefix: 'fo:' });
    const before = await currentMaster();
    const events: RunEvent[] = [];
    let batches = 0;
    let finished = false;
    const run = runMigration({
      config: parseConfig({ source: { addresses: [plain.address] }, target: sentinelEndpoint(), scan: { count: 200 }, rateLimit: 4000 }),
      migrationId: 'target-failover',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress') batches = e.checkpoint.counters.batches;
      },
    }).finally(() => (finished = true));
    await waitUntil(async () => batches >= 5 || `${batches} batches`, { description: 'some batches' });
    const promoted = await set.failover();
    assert.equal(await currentMaster(), promoted);
    assert.equal(finished, false, 'the failover happened while the run was copying');
    const summary = await run;

    const log = events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'retry' ? [`retry: ${e.reason}`] : [])).join('\n');
    assert.equal(summary.status, 'completed', `${summary.error?.message}\n${log}`);
    assert.match(log, /retry: target/, 'the failover was retried, not fatal');
    const after = await currentMaster();
    assert.notEqual(after, before);
    await waitForReplicaSync(after.client(), before.client());
    await assertSameData(plain.client(), after.client());
  });

  it('a sentinel failover of the source during the run: the unit restarts on the new master and every key arrives', async () => {
    await emptyAll();
    const before = await currentMaster();
    await seedStrings(before.client(), 12_000, 'bulk:');
    await seedMixedDataset(before.client(), { prefix: 'fo:' });
    await waitForReplicaSync(
      before.client(),
      set.replicas
        .concat(set.master)
        .find((s) => s !== before)!
        .client(),
    );
    const events: RunEvent[] = [];
    let batches = 0;
    const run = runMigration({
      config: parseConfig({ source: sentinelEndpoint(), target: { addresses: [plain.address] }, scan: { count: 200 }, rateLimit: 3000 }),
      migrationId: 'source-failover',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'progress') batches = e.checkpoint.counters.batches;
      },
    });
    await waitUntil(async () => batches >= 5 || `${batches} batches`, { description: 'some batches' });
    const after = await set.failover();
    assert.notEqual(after, before);
    // Sentinel demotes a reachable old master at its next INFO poll (up to 10 s later); do it now,
    // as sentinel would, so the demotion surely lands while the unit is still scanning it.
    await before.client().call('REPLICAOF', after.host, String(after.port));
    const summary = await run;

    const log = events.flatMap((e) => (e.type === 'note' ? [e.message] : e.type === 'retry' ? [`retry: ${e.reason}`] : [])).join('\n');
    assert.equal(summary.status, 'completed', `${summary.error?.message}\n${log}`);
    assert.match(
      log,
      /retry: source node 127\.0\.0\.1:\d+ is now a replica of 127\.0\.0\.1:\d+, no longer the master the unit was reading \(failover\)/,
    );
    assert.match(
      log,
      /unit db0 \(mymaster master .*\): the source node changed from .* to .*; restarting its scan on mymaster master .* from cursor 0/,
    );
    await assertSameData((await currentMaster()).client(), plain.client());
  });
});

/** Waits until the demoted master has caught up with the new one (so either can be compared). */
async function waitForReplicaSync(master: Redis, replica: Redis): Promise<void> {
  await waitUntil(async () => (await master.dbsize()) === (await replica.dbsize()) || 'replica behind', { description: 'replica sync' });
}
