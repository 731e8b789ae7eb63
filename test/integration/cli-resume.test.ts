import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { jsonRunArgs, runCli, spawnCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, waitUntil } from '../helpers/index.js';

const KEYS = 20_000;
const COUNT = 100;

describe('CLI: interrupted migrations resume from the checkpoint', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    await seedStrings(source.client(), KEYS);
    work = await mkdtemp(join(tmpdir(), 'ferry-resume-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  const args = (id: string, ...extra: string[]) =>
    jsonRunArgs(
      ['migrate', '--source', `redis://${source.address}`],
      { target: `redis://${target.address}`, id, stateDir: join(work, 'state'), progress: 'plain' },
      '--count',
      String(COUNT),
      '--no-adaptive-count',
      ...extra,
    );
  const batchesAtLeast = (id: string, n: number) => async () => {
    const batches = (await readCheckpoint(id))?.counters.batches ?? 0;
    return batches >= n || `${batches} batches confirmed`;
  };
  const readCheckpoint = async (id: string): Promise<UnitCheckpoint | undefined> =>
    JSON.parse(await readFile(join(work, 'state', id, 'units', 'db0.json'), 'utf8').catch(() => 'null')) ?? undefined;

  it('after SIGKILL mid-copy, the same command finishes with every key, re-copying only unconfirmed batches', async () => {
    // Prepare: a slow run (rate-limited) that we kill once it has confirmed some batches.
    const { child, done } = spawnCli(args('killed', '--rate-limit', '4000'));
    await waitUntil(batchesAtLeast('killed', 10), { description: '10 confirmed batches' });
    child.kill('SIGKILL');
    await done;
    const atKill = await readCheckpoint('killed');
    assert.ok(atKill && atKill.status === 'running' && atKill.cursor !== '0', 'killed mid-copy');
    assert.ok((await target.client().dbsize()) < KEYS, 'not everything was copied before the kill');

    // Act: the same command again (the stale lock of the killed process is taken over).
    const result = await runCli(args('killed'));

    // Assess
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.totals.copied, KEYS, 'every key counted exactly once');
    // At most the batch being written plus the read-ahead batches (4) were unconfirmed; SCAN's
    // COUNT is a hint, so allow a batch to run somewhat over COUNT.
    assert.ok(summary.totals.recopied <= 5 * COUNT * 1.5, `re-copied ${summary.totals.recopied} keys`);
    assert.equal(summary.thisRun.copied, KEYS - atKill.counters.copied);
    await assertSameData(source.client(), target.client());
  });

  it('Ctrl-C stops after the current batch, checkpoints, and prints the command that resumes', async () => {
    const { child, done } = spawnCli(args('interrupted', '--rate-limit', '4000'));
    await waitUntil(batchesAtLeast('interrupted', 5), { description: '5 confirmed batches' });
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    assert.match(stopped.stderr, /Resume with: redis-ferry migrate --source redis:\/\/127\.0\.0\.1:\d+ .*--id interrupted/);
    const checkpoint = await readCheckpoint('interrupted');
    assert.equal(checkpoint?.status, 'running');
    assert.equal(await target.client().dbsize(), checkpoint?.counters.copied, 'the checkpoint covers exactly what was written');

    const resumed = await runCli(args('interrupted'));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).totals.recopied, 0, 'a clean stop leaves nothing to re-copy');
    await assertSameData(source.client(), target.client());
  });

  it('running a completed migration again says so and copies nothing', async () => {
    const first = await runCli(args('twice'));
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli([
      'migrate',
      '--source',
      `redis://${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--id',
      'twice',
      '--state-dir',
      join(work, 'state'),
      '--progress',
      'none',
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /already complete .* nothing to do\. Run with --fresh to copy again/);
  });
});
