import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { runMigration } from '../../src/runner/run-migration.js';
import { seedMixedDataset } from '../fixtures/mixed-dataset.js';
import { runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

describe('migrate: standalone → standalone', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;

  before(async () => {
    [source, target] = await Promise.all([startRedis({ password: '123456' }), startRedis()]);
    work = await mkdtemp(join(tmpdir(), 'ferry-test-'));
    await seedMixedDataset(source.client());
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  const config = (extra: Record<string, unknown> = {}) =>
    parseConfig({
      source: { addresses: [source.address], password: '123456' },
      target: { addresses: [target.address] },
      ...extra,
    });

  it('copies scenario 1 with the redis-shake v3 file shape: every key identical, TTLs within 1 s', async () => {
    // Prepare: the scenario's file, pointed at the test servers, with the documented `password = ""` fix.
    const file = join(work, 'standalone-to-standalone.toml');
    await writeFile(
      file,
      `type = "scan"\n[source]\naddress = "${source.address}"\npassword = "123456"\n\n[target]\ntype = "standalone"\naddress = "${target.address}"\npassword = ""\n`,
    );
    // Act
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state'), '--progress', 'plain']);
    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /completed/);
    const keys = await assertSameData(source.client(), target.client());
    assert.ok(keys > 500, `expected the mixed dataset, saw ${keys} keys`);
  });

  it('reads a v4 config with ${ENV} substitution, so no password is written in the file', async () => {
    const file = join(work, 'v4.toml');
    await writeFile(
      file,
      '[scan_reader]\naddress = "${SRC}"\npassword = "${SRC_PASSWORD}"\ncount = 200\n\n[redis_writer]\naddress = "${DST}"\n\n[advanced]\nrdb_restore_command_behavior = "panic"\n',
    );
    const result = await runCli(['migrate', file, '--state-dir', join(work, 'state-v4'), '--progress', 'none'], {
      SRC: source.address,
      SRC_PASSWORD: '123456',
      DST: target.address,
    });
    assert.equal(result.code, 0, result.stderr);
    await assertSameData(source.client(), target.client());
  });

  it('replace overwrites a key the target already has; skip keeps it', async () => {
    await target.client().set('str:1', 'target-version');
    const skipped = await runMigration({
      config: config({ onExistingKey: 'skip' }),
      migrationId: 'skip',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(skipped.status, 'completed');
    assert.equal(skipped.totals.skippedExisting, 1);
    assert.equal(await target.client().get('str:1'), 'target-version');

    const replaced = await runMigration({
      config: config({ onExistingKey: 'replace' }),
      migrationId: 'replace',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(replaced.status, 'completed');
    await assertSameData(source.client(), target.client());
  });

  it('with the fail policy, a key appearing on the target mid-run stops the run naming the key', async () => {
    // Preflight passes (empty target); the conflicting key is written right after the plan is
    // saved and before the first batch, as by another writer.
    class PlantingStore extends MemoryCheckpointStore {
      override async savePlan(plan: Parameters<MemoryCheckpointStore['savePlan']>[0]) {
        await super.savePlan(plan);
        await target.client().set('str:7', 'someone else');
      }
    }
    const summary = await runMigration({ config: config({ scan: { count: 50 } }), migrationId: 'conflict', store: new PlantingStore() });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.name, 'TargetKeyExistsError');
    assert.match(summary.error?.message ?? '', /"str:7"/);
    assert.equal(await target.client().get('str:7'), 'someone else');
  });

  it('applies key filters, db selection and db mapping', async () => {
    await source.client({ db: 3 }).set('in-db3', 'x');
    await source.client({ db: 4 }).set('in-db4', 'y');
    const summary = await runMigration({
      config: config({ dbs: [0, 3], dbMap: { '3': 5 }, filter: { allowKeyPrefix: ['hash:', 'in-'], blockKeySuffix: [':1'] } }),
      migrationId: 'filters',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(summary.status, 'completed');
    assert.equal(await target.client({ db: 5 }).get('in-db3'), 'x');
    assert.equal(await target.client({ db: 4 }).dbsize(), 0, 'db 4 was not selected');
    assert.equal(await target.client({ db: 3 }).dbsize(), 0, 'db 3 is mapped to 5');
    assert.equal(await target.client().exists('hash:1'), 0, 'blocked by suffix');
    assert.equal(await target.client().exists('hash:2'), 1);
    assert.equal(await target.client().exists('str:2'), 0, 'not an allowed prefix');
    await source.client({ db: 3 }).flushdb();
    await source.client({ db: 4 }).flushdb();
  });

  it('SCAN MATCH and TYPE narrow what is copied', async () => {
    const summary = await runMigration({
      config: config({ scan: { count: 100, match: 'zset:*', type: 'zset' } }),
      migrationId: 'match',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(summary.status, 'completed');
    assert.equal(await target.client().dbsize(), summary.totals.copied);
    assert.ok(summary.totals.copied >= 50);
    const [, keys] = await target.client().scan('0', 'COUNT', 1000);
    for (const key of keys) assert.match(key, /^zset:/);
  });

  it('a dry run reads and counts everything and writes nothing', async () => {
    const result = await runCli([
      'migrate',
      '--source',
      `redis://:123456@${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--dry-run',
      '--json',
      '--state-dir',
      join(work, 'state'),
      '--progress',
      'none',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.dryRun, true);
    assert.equal(summary.totals.copied, await source.client().dbsize());
    assert.equal(await target.client().dbsize(), 0);
  });

  it('keys with under a millisecond left, or expiring in flight, are skipped, never made persistent', async () => {
    const client = source.client({ db: 7 });
    await client.set('short', 'x', 'PX', 40);
    const setAt = performance.now();
    await client.set('long', 'y', 'PX', 600_000);
    await new Promise((r) => setTimeout(r, 60));
    const summary = await runMigration({ config: config({ dbs: [7] }), migrationId: 'ttl', store: new MemoryCheckpointStore() });
    assert.equal(summary.status, 'completed');
    assert.equal(await target.client({ db: 7 }).exists('short'), 0);
    const ttl = await target.client({ db: 7 }).pttl('long');
    // Carried, not reset nor dropped: what was left of it, however long a busy machine took to copy it.
    const elapsed = performance.now() - setAt;
    assert.ok(ttl > 600_000 - elapsed - 1_000 && ttl <= 600_000, `TTL kept: ${ttl} after ${Math.round(elapsed)} ms`);
    await client.flushdb();
  });

  it('rate limiting caps the keys read per second', async () => {
    const client = source.client({ db: 8 });
    const pipe = client.pipeline();
    for (let i = 0; i < 300; i++) pipe.set(`r${i}`, i);
    await pipe.exec();
    const started = performance.now();
    const summary = await runMigration({
      config: config({ dbs: [8], rateLimit: 200, scan: { count: 50 } }),
      migrationId: 'rate',
      store: new MemoryCheckpointStore(),
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(summary.totals.copied, 300);
    // 300 keys at 200/s (the limiter starts empty, bursts 50 ms at most) cannot finish in under ~0.5 s.
    assert.ok(seconds >= 0.4, `took ${seconds.toFixed(2)} s`);
    await client.flushdb();
  });
});
