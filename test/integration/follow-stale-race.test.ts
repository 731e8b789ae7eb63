import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { ByteBudget } from '../../src/core/byte-budget.js';
import { parseConfig } from '../../src/core/config.js';
import { type KeySource, newCheckpoint, type UnitDescriptor, ZERO_RECONCILE } from '../../src/core/contracts.js';
import { copyUnit } from '../../src/core/copy-unit.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { followSelection } from '../../src/runner/follow/apply-changes.js';
import { UnitFollower } from '../../src/runner/follow/unit-follower.js';
import { openUnitIo } from '../../src/runner/unit-io.js';
import { type RedisServer, startRedis, waitUntil } from '../helpers/index.js';

/**
 * The classic race of a scan copy with a live follower: a batch DUMPs K at t1, K changes, the
 * follower copies K at t2, and the batch's RESTORE of the t1 value lands at t3. The source here
 * holds every batch between its read and its write until the follower has applied the changes
 * made meanwhile, so the race happens on every batch, deterministically.
 */
describe('follow: no stale overwrite by a bulk batch read before a change', () => {
  let source: RedisServer;
  let target: RedisServer;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    await source.client().config('SET', 'notify-keyspace-events', 'KEA');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  const stale = async (guarded: boolean): Promise<number> => {
    const [src, dst] = [source.client(), target.client()];
    await Promise.all([src.flushall(), dst.flushall()]);
    for (let i = 0; i < 300; i++) await src.set(`k${i}`, 'old');
    const config = parseConfig({ source: { addresses: [source.address] }, target: { addresses: [target.address] } });
    const unit: UnitDescriptor = { id: 'race', label: 'race', sourceDb: 0, targetDb: 0, sourceAddress: source.address };
    const budget = new ByteBudget(64 * 1024 * 1024);
    const filter = createKeyFilter(config.filter);
    const follower = new UnitFollower({
      config,
      unit,
      budget,
      selected: followSelection(config, filter),
      reconcile: async () => ({ counts: { ...ZERO_RECONCILE }, complete: true }),
      note: () => {},
      prepareNode: async () => {},
    });
    await follower.start();
    const io = await openUnitIo({ config, unit, budget, note: () => {} });
    try {
      // Every batch: read (DUMP) → the keys change on the source → the follower copies them → the batch is written.
      const racing: KeySource = {
        scan: (cursor) => io.source.scan(cursor),
        read: async (keys) => {
          const read = await io.source.read(keys);
          const before = follower.tracker.events;
          for (const key of keys) await src.set(key, 'new');
          await waitUntil(async () => follower.tracker.events >= before + keys.length && follower.caughtUpOnEvents(), {
            description: 'the follower to apply the changes',
            timeoutMs: 60_000,
          });
          return read;
        },
      };
      await copyUnit({
        source: racing,
        sink: io.sink,
        filter,
        policy: 'replace',
        store: new MemoryCheckpointStore(),
        checkpoint: newCheckpoint(unit.id),
        ...(guarded ? { observer: follower.tracker } : {}),
      });
      await waitUntil(async () => follower.caughtUpOnEvents(), { description: 'the follower to drain', timeoutMs: 60_000 });
      let staleKeys = 0;
      for (let i = 0; i < 300; i++) if ((await dst.get(`k${i}`)) !== 'new') staleKeys++;
      return staleKeys;
    } finally {
      await io.close();
      await follower.stop();
    }
  };

  it('without the guard the race is real: batches land stale values over the follower copies', async () => {
    assert.ok((await stale(false)) > 0, 'the test must drive the race, or it proves nothing');
  });

  it('with the guard every key ends with the source value', async () => {
    assert.equal(await stale(true), 0);
  });
});
