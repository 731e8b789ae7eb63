import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { jsonRunArgs, runCli, spawnCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, waitUntil } from '../helpers/index.js';
import { saveRdb } from '../helpers/rdb-fixture.js';

const KEYS = 20_000;

/** Several byte ranges of one file at once, and a restore killed mid-file that resumes. */
describe('restore: parallel ranges and resume after SIGKILL', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let file: string;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    const s = source.client();
    await seedStrings(s, KEYS);
    // Some keys with a time to live, restored with what is left of it.
    for (let i = 0; i < 50; i++) await s.set(`ttl:${i}`, 'v', 'PX', 3_600_000 + i * 1000);
    file = await saveRdb(source, 'strings');
    work = await mkdtemp(join(tmpdir(), 'ferry-restore-resume-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  const args = (id: string, ...extra: string[]) =>
    jsonRunArgs(
      ['restore', file],
      { target: `redis://${target.address}`, id, stateDir: join(work, 'state'), progress: 'plain' },
      '--count',
      '100',
      ...extra,
    );
  const checkpoints = async (id: string): Promise<UnitCheckpoint[]> => {
    const dir = join(work, 'state', id, 'units');
    const names = await readdir(dir).catch(() => [] as string[]);
    return Promise.all(names.filter((n) => n.endsWith('.json')).map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8'))));
  };

  it('restores one file in 4 byte ranges at once, every key once', async () => {
    const result = await runCli(args('parallel', '--parallel', '4', '--verify', 'full'));

    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.units.length, 4);
    const ranges = summary.units.map((u: { unit: { rdbRange: { from: number; to: number } } }) => u.unit.rdbRange);
    for (let i = 1; i < ranges.length; i++) assert.equal(ranges[i].from, ranges[i - 1].to, 'contiguous ranges');
    assert.equal(summary.totals.copied, KEYS + 50);
    assert.equal(summary.verify.passed, true);
    await assertSameData(source.client(), target.client());
  });

  it('after SIGKILL mid-file, the same command resumes from the checkpoints and ends identical', async () => {
    const { child, done } = spawnCli(args('killed', '--parallel', '3', '--rate-limit', '3000'));
    await waitUntil(
      async () => {
        const copied = (await checkpoints('killed')).reduce((n, c) => n + c.counters.copied, 0);
        return copied >= 2000 || `${copied} keys confirmed`;
      },
      { description: '2000 keys confirmed' },
    );
    child.kill('SIGKILL');
    await done;
    const atKill = await checkpoints('killed');
    assert.ok(
      atKill.some((c) => c.status === 'running'),
      'killed mid-file',
    );
    assert.ok((await target.client().dbsize()) < KEYS, 'not everything was restored before the kill');

    const resumed = await runCli(args('killed', '--verify', 'full'));

    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.units.length, 3, 'the stored plan: the same ranges');
    assert.equal(summary.totals.copied, KEYS + 50, 'every key counted once');
    assert.ok(summary.thisRun.copied < KEYS + 50, 'resumed, not restarted');
    assert.equal(summary.verify.passed, true);
    await assertSameData(source.client(), target.client());
  });
});
