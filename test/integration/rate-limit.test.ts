import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { newCheckpoint, type UnitDescriptor } from '../../src/core/contracts.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { runUnitSession } from '../../src/runner/unit-session.js';
import { parseInfo, type RedisServer, startRedis } from '../helpers/index.js';
import { busiestWindow, type Grant } from '../helpers/rate-window.js';

const RATE = 2000;
const KEYS_PER_DB = 9_000;

/** The engine's limiter, noting when each grant was made and for how many keys. */
class RecordingLimiter extends RateLimiter {
  readonly grants: Grant[] = [];

  override async take(count: number): Promise<void> {
    await super.take(count);
    this.grants.push({ at: performance.now(), keys: count });
  }
}

describe('--rate-limit on a real copy', () => {
  let source: RedisServer;
  let target: RedisServer;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    for (const db of [0, 1]) {
      const pipe = source.client({ db }).pipeline();
      for (let i = 0; i < KEYS_PER_DB; i++) pipe.set(`k:${i}`, `v${i}`);
      await pipe.exec();
    }
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('two units sharing one limit never read more than 2 % over it in any 5 s window', async () => {
    // Prepare: 18,000 keys at 2,000 keys/s, about 9 s; SCAN pages of ~1,000 keys, ten times the
    // limiter's largest grant, so pages are read slice by slice.
    const config = parseConfig({ source: { addresses: [source.address] }, target: { addresses: [target.address] }, rateLimit: RATE });
    const limiter = new RecordingLimiter(RATE);
    const store = new MemoryCheckpointStore();
    const unit = (db: number): UnitDescriptor => ({
      id: `db${db}`,
      label: `db${db}`,
      sourceDb: db,
      targetDb: db,
      sourceAddress: source.address,
    });
    await source.client().config('RESETSTAT');
    // Act
    const done = await Promise.all(
      [0, 1].map((db) =>
        runUnitSession({
          config,
          unit: unit(db),
          store,
          checkpoint: newCheckpoint(`db${db}`),
          filter: createKeyFilter(config.filter),
          limiter,
          shouldStop: () => false,
        }),
      ),
    );
    // Assess: everything copied, every key DUMPed once and granted once, and the bound held.
    assert.deepEqual(
      done.map((c) => c.counters.copied),
      [KEYS_PER_DB, KEYS_PER_DB],
    );
    assert.equal(await target.client({ db: 1 }).dbsize(), KEYS_PER_DB);
    const dumps = /calls=(\d+)/.exec(parseInfo(await source.client().info('commandstats')).cmdstat_dump ?? '')?.[1];
    assert.equal(Number(dumps), 2 * KEYS_PER_DB);
    assert.equal(
      limiter.grants.reduce((n, g) => n + g.keys, 0),
      2 * KEYS_PER_DB,
    );
    const busiest = busiestWindow(limiter.grants, 5000);
    assert.ok(busiest <= 1.02 * RATE * 5, `busiest 5 s window granted ${busiest} keys, over ${1.02 * RATE * 5}`);
  });
});
