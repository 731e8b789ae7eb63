import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startLiveWriter } from '../fixtures/live-writer.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { startFollowRun } from '../helpers/follow-run.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/** Every way the follower can miss events, driven on purpose: each must end identical all the same. */
describe('migrate --follow: gaps are healed', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let n = 0;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    work = await mkdtemp(join(tmpdir(), 'ferry-gaps-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const [src, dst] = [source.client(), target.client()];
    await Promise.all([src.flushall(), dst.flushall()]);
    await src.config('SET', 'notify-keyspace-events', 'AE');
    await seedMixedDataset(src);
    await seedStrings(src, 1500, 'bulk:');
  });
  const start = () =>
    startFollowRun({ source: `redis://${source.address}`, target: `redis://${target.address}`, id: `gaps-${++n}`, stateDir: work });

  it('a pub/sub client kill mid-follow opens a gap that a reconcile heals', async () => {
    const src = source.client();
    const run = start();
    const writer = startLiveWriter(src, { seed: 11 });
    await run.waitFor(/following the source's writes/, 'the copy to finish');
    await writer.reached(1500);
    assert.ok(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) >= 1);
    await run.waitFor(/reconciled \(/, 'the reconcile after the kill');
    await writer.reached(3000);
    await writer.stop();
    const result = await run.cutover();
    assert.equal(result.code, 0, run.output());
    assert.match(run.output(), /gap \(subscription to .* was closed/);
    await assertSameData(src, target.client());
  });

  it('FLUSHDB on the source (no keyspace event) is seen and reconciled', async () => {
    const src = source.client();
    const run = start();
    await run.waitFor(/following the source's writes/, 'the copy to finish');
    await src.flushdb();
    await src.set('after-flush', 'kept');
    await run.waitFor(/reconciled \(the source node was flushed/, 'the reconcile after the flush');
    const result = await run.cutover();
    assert.equal(result.code, 0, run.output());
    assert.equal(await target.client().dbsize(), 1);
    await assertSameData(src, target.client());
  });

  it('a follow run killed with SIGKILL and started again ends identical', async () => {
    const src = source.client();
    const writer = startLiveWriter(src, { seed: 12 });
    const first = start();
    await first.waitFor(/following the source's writes/, 'the copy to finish');
    await writer.reached(1500);
    first.child.kill('SIGKILL');
    await first.done;
    await writer.reached(3000); // writes, deletes and renames nobody follows
    n--; // the same migration id: it resumes
    const second = start();
    await second.waitFor(/reconciled \(writes made while no follow run was running/, 'the reconcile of the downtime');
    await writer.stop();
    const result = await second.cutover();
    assert.equal(result.code, 0, second.output());
    await assertSameData(src, target.client());
  });
});
