import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { filler } from '../fixtures/big-keys.js';
import { seedMixedDataset } from '../fixtures/mixed-dataset.js';
import { runCli } from '../helpers/cli.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/** Exit code of `verify` when mismatches exceed --max-mismatches. */
const EXIT_MISMATCHES = 3;

describe('redis-ferry verify', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let s: Redis;
  let t: Redis;
  const urls = () => ['--source', `redis://:src@${source.address}`, '--target', `redis://${target.address}`];
  const state = () => ['--state-dir', join(work, 'state')];

  before(async () => {
    [source, target] = await Promise.all([startRedis({ password: 'src' }), startRedis()]);
    work = await mkdtemp(join(tmpdir(), 'ferry-verify-'));
    s = source.client();
    t = target.client();
    await seedMixedDataset(s);
    // A key above the 16 MB big-key size: compared chunk by chunk, never DUMPed whole.
    for (let start = 0; start < 70_000; start += 5000)
      await s.rpush('huge:list', ...Array.from({ length: 5000 }, (_, i) => filler(start + i, 256)));
    const migrated = await runCli(['migrate', ...urls(), ...state(), '--progress', 'none']);
    assert.equal(migrated.code, 0, migrated.stderr);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it('reports zero mismatches after a clean migration, quick and full, and stores the result', async () => {
    for (const level of ['quick', 'full']) {
      const result = await runCli(['verify', ...urls(), ...state(), '--verify', level]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, new RegExp(`Verify \\(${level}\\) m-\\w+: [\\d,]+ keys checked in .*: all identical`));
      assert.match(result.stdout, /stored with migration m-\w+/);
    }
    const [dir] = (await runCli(['verify', ...urls(), ...state(), '--json'])).stdout.match(/"migrationId":"(m-\w+)"/)!.slice(1);
    const stored = JSON.parse(await readFile(join(work, 'state', dir!, 'verify.json'), 'utf8'));
    assert.equal(stored.level, 'full');
    assert.equal(stored.mismatches, 0);
    assert.ok(stored.totals.checked > 500);
  });

  it('finds planted differences of every kind and exits non-zero, with example keys', async () => {
    // Prepare: one of each kind on the target.
    await t.del('str:1'); // missing
    await t.del('hash:2');
    await t.set('hash:2', 'now a string'); // other type
    await t.pexpire('list:3', 99_000_000); // TTL where the source has none
    await t.srem('big:set', 'member:5'); // changed member, same size: SCARD alone would not see it
    await t.sadd('big:set', 'member:intruder');
    await t.zadd('big:zset', 7.000000000000001, 'z21'); // a score off by one ulp
    await t.hset('big:hash', 'field:9', 'changed'); // a changed value
    await t.lset('huge:list', 65_000, 'changed'); // deep inside a key compared in chunks
    // Act
    const full = await runCli(['verify', ...urls(), ...state(), '--verify', 'full', '--examples', '2']);
    const quick = await runCli(['verify', ...urls(), ...state(), '--verify', 'quick', '--json']);
    const tolerated = await runCli(['verify', ...urls(), ...state(), '--verify', 'full', '--max-mismatches', '10']);
    // Assess
    assert.equal(full.code, EXIT_MISMATCHES, full.stdout + full.stderr);
    assert.match(full.stdout, /FAILED: 7 mismatch\(es\), 0 allowed/);
    assert.match(full.stdout, /missing\s+1\s+e\.g\. "str:1"/);
    assert.match(full.stdout, /other type\s+1\s+e\.g\. "hash:2"/);
    assert.match(full.stdout, /TTL differs\s+1\s+e\.g\. "list:3"/);
    const values = /value differs\s+4\s+e\.g\. (.*)/.exec(full.stdout);
    assert.ok(values, full.stdout);
    assert.equal(values[1]!.split(', ').length, 2, '--examples 2');
    for (const example of values[1]!.split(', ')) assert.match(example, /"(big:set|big:zset|big:hash|huge:list)"/);

    assert.equal(quick.code, EXIT_MISMATCHES);
    const report = JSON.parse(quick.stdout);
    assert.deepEqual(report.totals.differences, { missing: 1, type: 1, ttl: 1, value: 0 }, 'quick does not read values');

    assert.equal(tolerated.code, 0, tolerated.stdout);
    assert.match(tolerated.stdout, /passed \(7 ≤ 10 allowed\)/);
  });

  it('takes the same config file as migrate, filters included', async () => {
    // Prepare: a v4 file that copies only the "big:" keys; the planted differences outside are ignored.
    const file = join(work, 'shake.toml');
    await writeFile(
      file,
      `[scan_reader]\naddress = "${source.address}"\npassword = "src"\n\n[redis_writer]\naddress = "${target.address}"\n\n[filter]\nallow_key_prefix = ["big:"]\n`,
    );
    // Act
    const result = await runCli(['verify', file, ...state(), '--json']);
    // Assess
    assert.equal(result.code, EXIT_MISMATCHES, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.totals.checked, 5, 'big:hash, big:set, big:zset, big:list, big:string');
    assert.deepEqual(report.totals.differences, { missing: 0, type: 0, ttl: 0, value: 3 });
  });

  it('refuses bad input with exit 2', async () => {
    const result = await runCli(['verify', ...urls(), '--verify', 'deep']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--verify <level>.*Allowed choices are quick, full/);
  });
});
