import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { errorLines, runCli } from '../helpers/cli.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

const BIG = 'big:str';
const BIG_BYTES = 2_000_000;
const SMALL = 300;

/**
 * A string longer than the target's proto-max-bulk-len (1 MiB here, the smallest Redis 7 accepts)
 * cannot exist there: the run stops naming it, or skips it and copies everything else.
 */
describe('CLI: a string too long for the target (proto-max-bulk-len)', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let run = 0;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis({ extraArgs: ['--proto-max-bulk-len', '1mb'] })]);
    await seedStrings(source.client(), SMALL);
    await source.client().hset('small:hash', { a: '1', b: '2' });
    // Incompressible: DUMP's LZF would shrink a repetitive value below the limit.
    await source.client().set(BIG, randomBytes(BIG_BYTES));
    work = await mkdtemp(join(tmpdir(), 'ferry-too-big-'));
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  const migrate = (...args: string[]) =>
    runCli([
      'migrate',
      ...args,
      '--source',
      `redis://${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--state-dir',
      join(work, `state-${++run}`),
      '--progress',
      'none',
    ]);
  const migrateFile = async (advanced: string, ...args: string[]) => {
    const file = join(work, `shake-${++run}.toml`);
    await writeFile(
      file,
      `[scan_reader]\naddress = "${source.address}"\n\n[redis_writer]\naddress = "${target.address}"\n\n[advanced]\n${advanced}\n`,
    );
    return runCli(['migrate', file, '--state-dir', join(work, `state-${run}`), '--progress', 'none', ...args]);
  };

  /** Every source key but the big one is on the target, byte for byte; the big one is not. */
  async function assertAllButBig(): Promise<void> {
    const keys = (await source.client().keys('*')).filter((k) => k !== BIG);
    assert.equal(await target.client().dbsize(), keys.length);
    for (const key of keys) assert.deepEqual(await target.client().dumpBuffer(key), await source.client().dumpBuffer(key), key);
    assert.equal(await target.client().exists(BIG), 0);
  }

  const clearMessage = (line: string) => {
    assert.match(line, /key "big:str" is a string of 2,000,000 bytes, longer than the target can hold/);
    assert.match(line, /proto-max-bulk-len, 1,048,576 bytes/);
    assert.match(line, /CONFIG SET proto-max-bulk-len 1gb/);
    assert.match(line, /--on-too-big skip/);
  };

  it('stops by default at the key read whole (RESTORE path), naming it and both ways on', async () => {
    const result = await migrate();
    assert.equal(result.code, 1, result.stderr);
    const lines = errorLines(result);
    assert.equal(lines.length, 1, result.stderr);
    clearMessage(lines[0]!);
    assert.equal(await target.client().exists(BIG), 0);
  });

  it('stops by default at the key copied by type (big-key path, SETRANGE chunks)', async () => {
    const result = await migrateFile('big_key_threshold = 1000000');
    assert.equal(result.code, 1, result.stderr);
    const lines = errorLines(result);
    assert.equal(lines.length, 1, result.stderr);
    clearMessage(lines[0]!);
  });

  it('--on-too-big skip copies everything else, counts the key and names it', async () => {
    const result = await migrate('--on-too-big', 'skip', '--json');
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { status: string; totals: { copied: number; skippedTooBig: number } };
    assert.equal(summary.status, 'completed');
    assert.equal(summary.totals.skippedTooBig, 1);
    assert.equal(summary.totals.copied, SMALL + 1);
    assert.match(
      result.stderr,
      /note: unit db0: skipped key "big:str", a string of 2,000,000 bytes, longer than the target's proto-max-bulk-len/,
    );
    await assertAllButBig();
  });

  it('on_too_big = "skip" in the config file does the same on the big-key path, and the summary says so', async () => {
    const result = await migrateFile('on_too_big = "skip"\nbig_key_threshold = 1000000');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /TOO BIG +1 key skipped: strings longer than the target's proto-max-bulk-len/);
    assert.match(result.stderr, /skipped key "big:str"/);
    await assertAllButBig();
  });

  it('reconcile --on-too-big skip leaves the key out of its counts and repairs everything else', async () => {
    assert.equal((await migrate('--on-too-big', 'skip')).code, 0);
    await target.client().set('k:1', 'changed on the target');
    await target.client().set('only:target', 'the source does not have it');
    const result = await runCli([
      'reconcile',
      '--source',
      `redis://${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--state-dir',
      join(work, `state-${++run}`),
      '--progress',
      'none',
      '--on-too-big',
      'skip',
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as {
      totals: { skippedTooBig: number };
      reconcile: { totals: { compared: number; missing: number; different: number; unchanged: number; deleted: number } };
    };
    assert.equal(summary.totals.skippedTooBig, 1);
    const { compared, missing, different, unchanged, deleted } = summary.reconcile.totals;
    assert.deepEqual(
      { compared, missing, different, unchanged, deleted },
      { compared: SMALL + 1, missing: 0, different: 1, unchanged: SMALL, deleted: 1 },
    );
    await assertAllButBig();
  });
});
