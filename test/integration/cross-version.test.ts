import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { type KeySource, newCheckpoint, type UnitDescriptor } from '../../src/core/contracts.js';
import { copyUnit } from '../../src/core/copy-unit.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { openUnitSource } from '../../src/redis/source-access.js';
import { openTargetDb } from '../../src/redis/target-access.js';
import { dumpRdbVersion, hasValidChecksum, restampDumpVersion, StructFallbackSink } from '../../src/struct/index.js';
import { seedMixedDataset } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/**
 * Only one redis-server version is installed, so a newer source is made honestly: the payloads a
 * real 7.0 source DUMPs are re-stamped with the next RDB version and a valid CRC-64, which is what
 * a newer server would send for values with the same encodings. The 7.0 target then refuses them
 * with its real error, for the version alone.
 */
describe('cross-version: a target that refuses the source’s RDB version', () => {
  let source: RedisServer;
  let target: RedisServer;
  let seeded: number;

  before(async () => {
    [source, target] = await Promise.all([startRedis({ password: 'src' }), startRedis()]);
    seeded = await seedMixedDataset(source.client(), { perType: 40 });
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await target.client().flushall();
    await target.client().config('RESETSTAT');
  });

  const config = () =>
    parseConfig({
      source: { addresses: [source.address], password: 'src' },
      target: { addresses: [target.address] },
      scan: { count: 100 },
    });
  const unit: UnitDescriptor = { id: 'db0', label: 'db0', sourceDb: 0, targetDb: 0, sourceAddress: '' };

  /** RESTORE counts from the target's own INFO commandstats. */
  async function restoreStats(): Promise<{ calls: number; failed: number }> {
    const line = /cmdstat_restore:(.*)/.exec(await target.client().info('commandstats'))?.[1] ?? '';
    const field = (name: string) => Number(new RegExp(`${name}=(\\d+)`).exec(line)?.[1] ?? 0);
    return { calls: field('calls'), failed: field('failed_calls') };
  }

  /** The product's reader, with every payload re-stamped as a server one RDB version newer would send it. */
  async function newerSource(version: number): Promise<{ source: KeySource; close(): Promise<void> }> {
    const opened = await openUnitSource(config().source, { ...unit, sourceAddress: source.address }, { count: 100, adaptive: false }); // fixed COUNT: the test needs several batches, even on a loaded machine
    return {
      source: {
        scan: (cursor) => opened.source.scan(cursor),
        read: async (keys) => {
          const result = await opened.source.read(keys);
          return { ...result, records: result.records.map((r) => ({ ...r, payload: restampDumpVersion(r.payload, version) })) };
        },
      },
      close: () => opened.close(),
    };
  }

  it('draws the server’s real refusal for a payload one version newer with a valid checksum', async () => {
    // Prepare: a real payload from the 7.0 source, and the same re-stamped.
    const payload = (await source.client().dumpBuffer('big:hash'))!;
    const version = dumpRdbVersion(payload);
    const newer = restampDumpVersion(payload, version + 1);
    // Act + Assess
    assert.equal(version, 10, 'redis-server 7.0 writes RDB version 10');
    assert.ok(hasValidChecksum(newer));
    await assert.rejects(target.client().restore('refused', 0, newer), { message: 'ERR DUMP payload version or checksum are wrong' });
    // The control: the same bytes stamped with the server's own version (and our CRC) are accepted,
    // so the refusal above is for the version, not for a checksum we computed wrong.
    await target.client().restore('accepted', 0, restampDumpVersion(newer, version));
    assert.equal(await target.client().hlen('accepted'), 700);
  });

  it('copies every key by type after one refused RESTORE, identical by type-aware comparison', async () => {
    // Prepare
    const cfg = config();
    const reader = await newerSource(11);
    const opened = await openTargetDb(cfg.target, 0);
    const [s, t] = [source.client(), target.client()];
    const switches: string[] = [];
    const sink = new StructFallbackSink(opened.sink, s, t, { onSwitch: (reason) => switches.push(reason) });
    // Act: the real copy loop, batches of 100 keys.
    const checkpoint = await copyUnit({
      source: reader.source,
      sink,
      filter: createKeyFilter(cfg.filter),
      policy: 'fail',
      store: new MemoryCheckpointStore(),
      checkpoint: newCheckpoint('db0'),
    });
    await Promise.all([reader.close(), opened.close()]);
    // Assess
    assert.equal(checkpoint.status, 'done');
    assert.equal(checkpoint.counters.copied, seeded);
    assert.ok(checkpoint.counters.batches > 3, 'several batches, all after the switch written by type');
    assert.deepEqual(await restoreStats(), { calls: 1, failed: 1 }, 'the target saw exactly one RESTORE, refused');
    const stats = sink.stats();
    assert.equal(stats.mode, 'struct');
    assert.equal(stats.refusedRestores, 1);
    assert.equal(stats.structKeys, seeded);
    assert.deepEqual(stats.notCarried, { 'stream-consumer-seen-time': 1 });
    assert.equal(switches.length, 1);
    assert.equal(await assertSameData(s, t), seeded);
  });

  it("mode 'struct' copies by type from the start: no RESTORE at all", async () => {
    const cfg = config();
    const reader = await newerSource(11);
    const opened = await openTargetDb(cfg.target, 0);
    const sink = new StructFallbackSink(opened.sink, source.client(), target.client(), { mode: 'struct' });
    const checkpoint = await copyUnit({
      source: reader.source,
      sink,
      filter: createKeyFilter(cfg.filter),
      policy: 'fail',
      store: new MemoryCheckpointStore(),
      checkpoint: newCheckpoint('db0'),
    });
    await Promise.all([reader.close(), opened.close()]);
    assert.equal(checkpoint.status, 'done');
    assert.deepEqual(await restoreStats(), { calls: 0, failed: 0 });
    assert.equal(sink.stats().refusedRestores, 0);
    await assertSameData(source.client(), target.client());
  });

  it('keeps using RESTORE when the target reads the payloads (same version)', async () => {
    const cfg = config();
    const reader = await newerSource(10);
    const opened = await openTargetDb(cfg.target, 0);
    const sink = new StructFallbackSink(opened.sink, source.client(), target.client());
    const checkpoint = await copyUnit({
      source: reader.source,
      sink,
      filter: createKeyFilter(cfg.filter),
      policy: 'fail',
      store: new MemoryCheckpointStore(),
      checkpoint: newCheckpoint('db0'),
    });
    await Promise.all([reader.close(), opened.close()]);
    assert.equal(checkpoint.status, 'done');
    assert.equal(sink.stats().mode, 'restore');
    assert.deepEqual(await restoreStats(), { calls: seeded, failed: 0 });
    await assertSameData(source.client(), target.client());
  });
});
