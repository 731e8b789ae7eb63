import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { runMigration } from '../../src/runner/run-migration.js';
import { seedMixedDataset } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/** The engine routes big keys to the chunked copier, and struct mode copies everything by type. */
describe('migrate: big keys and struct mode through the runner', () => {
  let source: RedisServer;
  let target: RedisServer;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    const client = source.client();
    await seedMixedDataset(client, { perType: 20 });
    const fields: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) fields[`f${i}`] = `value-${i}-${'h'.repeat(40)}`;
    await client.hset('huge:hash', fields);
    await client.set('huge:string', Buffer.alloc(2_000_000, 0xab));
    await client.rpush('huge:list', ...Array.from({ length: 20_000 }, (_, i) => `item-${i}-${'l'.repeat(30)}`));
    await client.pexpire('huge:hash', 3_600_000);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await target.client().flushall();
    await target.client().config('RESETSTAT');
  });

  const config = (extra: Record<string, unknown>) =>
    parseConfig({ source: { addresses: [source.address] }, target: { addresses: [target.address] }, ...extra });

  it('copies keys above the threshold by type, in chunks, and verifies everything', async () => {
    const summary = await runMigration({
      config: config({ bigKeyThreshold: 256 * 1024, verify: 'full' }),
      migrationId: 'big',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(summary.status, 'completed', summary.error?.message);
    assert.equal(summary.totals.bigKeys, 3, 'the three huge keys went by type');
    assert.equal(summary.verify?.passed, true);
    assert.equal(summary.verify?.mismatches, 0);
    await assertSameData(source.client(), target.client());
    const [, leftovers] = await target.client().scan('0', 'MATCH', '__redis-ferry:tmp:*', 'COUNT', 10_000);
    assert.deepEqual(leftovers, [], 'no temporary keys left');
  });

  it('mode = "struct" copies every key by type, without RESTORE', async () => {
    const summary = await runMigration({
      config: config({ mode: 'struct', verify: 'quick' }),
      migrationId: 'struct',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(summary.status, 'completed', summary.error?.message);
    assert.equal(summary.verify?.passed, true);
    await assertSameData(source.client(), target.client());
    const stats = await target.client().info('commandstats');
    assert.doesNotMatch(stats, /cmdstat_restore:/, 'the target never saw RESTORE');
  });
});
