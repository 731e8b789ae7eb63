import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Cluster } from 'ioredis';
import { keySlot } from '../../src/redis/key-slot.js';
import { seedMixedDataset } from '../fixtures/mixed-dataset.js';
import { runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisCluster, startCluster } from '../helpers/index.js';
import { comparingView, seedingView } from './topology-support.js';

const EXTRA = 30;

/** Keys only the target has, on a cluster source and target: found per target master, looked up per source slot owner. */
describe('extra keys: cluster → cluster (3 masters each)', () => {
  let src: RedisCluster;
  let dst: RedisCluster;
  let work: string;
  let target: Cluster;
  const urls = () => ['--source', `redis://${src.seed.address}?cluster=true`, '--target', `redis://${dst.seed.address}?cluster=true`];
  const state = () => ['--state-dir', join(work, 'state')];
  const extraKeys = Array.from({ length: EXTRA }, (_, i) => Buffer.from(`extra:${i}:\xfe`, 'latin1'));

  before(async () => {
    [src, dst] = await Promise.all([startCluster({ masters: 3 }), startCluster({ masters: 3 })]);
    work = await mkdtemp(join(tmpdir(), 'ferry-extra-cluster-'));
    await seedMixedDataset(seedingView(src.client()), { perType: 10 });
    const migrated = await runCli(['migrate', ...urls(), ...state(), '--progress', 'none']);
    assert.equal(migrated.code, 0, migrated.stderr);
    target = dst.client();
    for (const key of extraKeys) await target.set(key, 'only on the target');
    await target.set('str:3', 'changed on the target');
  });
  after(async () => {
    await Promise.all([src?.stop(), dst?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it('verify walks every target master and reports the extra keys', async () => {
    // Prepare (before): the extra keys spread over the slots of every target master.
    const slots = extraKeys.map(keySlot);
    assert.ok([5460, 10921, 16383].every((end, i) => slots.some((s) => s <= end && s > [-1, 5460, 10921][i]!)));
    // Act
    const result = await runCli(['verify', ...urls(), ...state(), '--verify', 'quick', '--examples', '3', '--json']);
    // Assess
    assert.equal(result.code, 3, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.totals.differences.extra, EXTRA);
    assert.equal(report.totals.examples.extra.length, 3);
    for (const example of report.totals.examples.extra) assert.match(example, /^"extra:\d+:\\xfe"$/);
    const targetUnits = report.units.filter((u: { unitId: string }) => u.unitId.startsWith('target/'));
    assert.deepEqual(
      targetUnits.map((u: { unitId: string }) => u.unitId),
      ['target/slots-0-5460/db0', 'target/slots-5461-10921/db0', 'target/slots-10922-16383/db0'],
    );
    for (const unit of targetUnits) assert.ok(unit.report.differences.extra > 0, `${unit.unitId} found extra keys on its master`);
  });

  it('reconcile deletes them on their masters and repairs the changed key', async () => {
    const result = await runCli(['reconcile', ...urls(), ...state(), '--progress', 'none', '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.reconcile.totals.deleted, EXTRA);
    assert.equal(summary.reconcile.totals.different, 1);
    assert.equal(summary.reconcile.totals.missing, 0);
    assert.equal(summary.reconcile.targetUnits.length, 3);
    assert.equal(summary.verify.mismatches, 0);
    await assertSameData(comparingView(src), comparingView(dst));
  });
});
