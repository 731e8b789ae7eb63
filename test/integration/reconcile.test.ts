import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { parseInfo, type RedisServer, startRedis, waitUntil } from '../helpers/index.js';

/**
 * RESTOREs that wrote, since the server's stats were last reset (INFO commandstats): calls less
 * failed ones (the target's access probe is a RESTORE of an invalid payload, which never writes).
 */
async function restoreCalls(client: Redis): Promise<number> {
  const stats = parseInfo(await client.info('commandstats')).cmdstat_restore ?? '';
  const field = (name: string) => Number(new RegExp(`(?:^|,)${name}=(\\d+)`).exec(stats)?.[1] ?? 0);
  return field('calls') - field('failed_calls');
}

describe('redis-ferry reconcile', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let s: Redis;
  let t: Redis;
  let sourceKeys = 0;
  const urls = (db = 0) => ['--source', `redis://${source.address}/${db}`, '--target', `redis://${target.address}/${db}`];
  const state = () => ['--state-dir', join(work, 'state')];

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    work = await mkdtemp(join(tmpdir(), 'ferry-reconcile-'));
    s = source.client();
    t = target.client();
    sourceKeys = await seedMixedDataset(s, { perType: 20 });
    const migrated = await runCli(['migrate', ...urls(), ...state(), '--progress', 'none']);
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it('copies missing and changed keys (value, TTL, type), deletes extra ones, and rewrites nothing else', async () => {
    // Prepare: the target drifts from the source in every way a re-sync must repair.
    await t.del('str:1'); // missing
    await t.set('str:2', 'changed on the target'); // value
    await t.hset('big:hash', 'field:3', 'changed'); // value of a hash-table–encoded hash (compared by type)
    await t.pexpire('list:3', 99_000_000); // TTL
    await t.del('set:4');
    await t.set('set:4', 'now a string'); // type
    await t.set('extra:1', 'only on the target');
    await t.set(Buffer.from([0x65, 0x78, 0xff, 0x00]), 'binary, only on the target');
    await t.config('RESETSTAT');
    // Act
    const result = await runCli(['reconcile', ...urls(), ...state(), '--progress', 'none', '--json']);
    // Assess
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'completed');
    assert.match(summary.migrationId, /^r-\w+$/, 'its own state, not the migration of the same config');
    assert.deepEqual(summary.reconcile.totals, {
      compared: sourceKeys,
      missing: 1,
      different: 4,
      unchanged: sourceKeys - 5,
      targetChecked: sourceKeys + 2, // what the target holds once the diff ran: every source key and the two extra ones
      deleted: 2,
    });
    assert.equal(summary.totals.copied, 5);
    assert.equal(summary.totals.skippedExisting, sourceKeys - 5, 'unchanged keys counted as left alone');
    assert.equal(
      await restoreCalls(t),
      5,
      'one RESTORE per missing or differing key: unchanged keys (big hash-table sets too) are not rewritten',
    );
    assert.equal(summary.verify.mismatches, 0, 'the check after the pass, extra keys included, finds nothing');
    await assertSameData(s, t);
  });

  it('says what it did in the human summary, and a completed pass run again is a new pass that writes nothing', async () => {
    await t.set('extra:2', 'only on the target');
    await t.config('RESETSTAT');
    const first = await runCli(['reconcile', ...urls(), ...state(), '--progress', 'none']);
    assert.equal(first.code, 0, first.stderr);
    const count = (n: number) => n.toLocaleString('en-US');
    assert.match(first.stdout, /^Reconcile r-\w+: completed in /);
    assert.match(
      first.stdout,
      new RegExp(`compared ${count(sourceKeys)} keys.*: ${count(sourceKeys)} unchanged, 0 missing and 0 different copied`),
    );
    assert.match(first.stdout, /deleted {2}1 target keys the source lacks/);
    assert.match(first.stderr, /The last reconcile pass r-\w+ completed; starting a new pass/);
    assert.equal(await restoreCalls(t), 0);
    assert.equal(await t.exists('extra:2'), 0);
  });

  it('--no-delete keeps the target keys the source lacks and repairs the rest', async () => {
    await t.set('extra:kept', 'only on the target');
    await t.set('str:5', 'changed');
    const result = await runCli(['migrate', '--reconcile', '--no-delete', ...urls(), ...state(), '--progress', 'none', '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.reconcile.deletes, false);
    assert.equal(summary.reconcile.totals.different, 1);
    assert.equal(summary.reconcile.totals.deleted, 0);
    assert.deepEqual(summary.reconcile.targetUnits, []);
    assert.equal(summary.verify.mismatches, 0, 'the check after a --no-delete pass does not count the keys kept on purpose');
    assert.equal((await t.getBuffer('extra:kept'))?.toString(), 'only on the target');
    assert.equal((await t.getBuffer('str:5'))?.toString(), (await s.getBuffer('str:5'))?.toString());
    await t.del('extra:kept');
  });

  it('refuses options that make no sense for a pass, touching nothing', async () => {
    for (const [args, message] of [
      [['--dry-run'], /reconcile has no dry run/],
      [['--on-existing', 'fail'], /--on-existing does not apply to reconcile/],
      [['--mode', 'struct'], /needs DUMP on both sides/],
    ] as const) {
      const result = await runCli(['reconcile', ...urls(), ...state(), ...args]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
    }
    const plain = await runCli(['migrate', '--no-delete', ...urls(), ...state()]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /--no-delete applies to a reconcile pass/);
  });

  it('resumes a pass stopped mid-way from its checkpoint, counting every key once', async () => {
    // Prepare: many keys in db 1, copied, then drifted: a slow pass (rate-limited) is stopped after a few batches.
    const KEYS = 12_000;
    await seedStrings(source.client({ db: 1 }), KEYS);
    const copy = await runCli(['migrate', ...urls(1), ...state(), '--progress', 'none']);
    assert.equal(copy.code, 0, copy.stderr);
    const t1 = target.client({ db: 1 });
    for (let i = 0; i < KEYS; i += 1000) await t1.set(`k:${i}`, 'drifted');
    await t1.set('k:extra', 'only on the target');
    const args = [
      'reconcile',
      ...urls(1),
      ...state(),
      '--id',
      'resumed',
      '--count',
      '100',
      '--no-adaptive-count',
      '--progress',
      'none',
      '--json',
    ];
    const checkpoint = async (): Promise<UnitCheckpoint | undefined> =>
      JSON.parse(await readFile(join(work, 'state', 'resumed', 'units', 'db1.json'), 'utf8').catch(() => 'null')) ?? undefined;
    const { child, done } = spawnCli([...args, '--rate-limit', '3000']);
    await waitUntil(async () => ((await checkpoint())?.counters.batches ?? 0) >= 5 || 'fewer than 5 batches confirmed', {
      description: 'the pass to confirm 5 batches',
      timeoutMs: 30_000,
    });
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const atStop = await checkpoint();
    assert.ok(atStop && atStop.status === 'running' && atStop.cursor !== '0', 'stopped mid-way with a checkpoint');
    assert.ok(
      atStop.reconcile && atStop.reconcile.compared > 0 && atStop.reconcile.compared < KEYS,
      `compared ${atStop.reconcile?.compared}`,
    );
    // Act
    const resumed = await runCli(args);
    // Assess
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout);
    assert.deepEqual(
      [summary.reconcile.totals.compared, summary.reconcile.totals.different, summary.reconcile.totals.deleted],
      [KEYS, KEYS / 1000, 1],
      'every key compared once, across both runs',
    );
    assert.ok(summary.reconcile.thisRun.compared < KEYS, 'the resumed run went on from the checkpoint');
    await assertSameData(source.client({ db: 1 }), t1);
  });
});
