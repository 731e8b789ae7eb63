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
    assert.deepEqual(report.totals.differences, { missing: 1, type: 1, ttl: 1, value: 0, extra: 0 }, 'quick does not read values');

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
    assert.deepEqual(report.totals.differences, { missing: 0, type: 0, ttl: 0, value: 3, extra: 0 });
  });

  it('finds keys only the target has, within the selection (match, db mapping reversed), and skips the check on request', async () => {
    // Prepare: source db 3 is copied into target db 4 (keys "m:*"); the target then gains keys of its own.
    const s3 = source.client({ db: 3 });
    const t4 = target.client({ db: 4 });
    await s3.set('m:1', 'copied');
    await source.client({ db: 4 }).set('m:2', 'in a source db the selection does not map onto target db 4');
    const selection = ['--dbs', '3', '--db-map', '3:4', '--match', 'm:*', '--ttl-tolerance', '60000'];
    const copied = await runCli(['migrate', ...urls(), ...state(), ...selection.slice(0, 6), '--progress', 'none']);
    assert.equal(copied.code, 0, copied.stderr);
    await t4.set('m:2', 'extra');
    await t4.set(Buffer.from([0x6d, 0x3a, 0xff, 0x00]), 'extra, binary name');
    // Within the TTL tolerance (60 s below) of running out: it may be gone on the source already, so not extra.
    await t4.set('m:expiring', 'about to expire', 'PX', 30_000);
    await t4.set('other', 'outside the selection (MATCH)');
    await target.client({ db: 3 }).set('m:3', 'in a target db nothing is copied into');
    // Act
    const found = await runCli(['verify', ...urls(), ...state(), ...selection, '--verify', 'quick', '--json']);
    const human = await runCli(['verify', ...urls(), ...state(), ...selection, '--verify', 'quick']);
    const stored = JSON.parse(await readFile(join(work, 'state', JSON.parse(found.stdout).migrationId, 'verify.json'), 'utf8'));
    const skipped = await runCli(['verify', ...urls(), ...state(), ...selection, '--verify', 'quick', '--no-extra-check']);
    // Assess
    assert.equal(found.code, EXIT_MISMATCHES, found.stderr);
    const result = JSON.parse(found.stdout);
    assert.equal(result.mismatches, 2, 'extra keys count toward max_mismatches');
    assert.deepEqual(result.totals.differences, { missing: 0, type: 0, ttl: 0, value: 0, extra: 2 });
    assert.deepEqual(result.totals.examples.extra.sort(), ['"m:2"', '"m:\\xff\\x00"']);
    assert.equal(result.totals.targetChecked, 4, 'm:1, m:2, the binary key and m:expiring; not "other", not db 3');
    assert.deepEqual(
      result.units.map((u: { unitId: string }) => u.unitId),
      ['db3', 'target/db4'],
    );
    assert.match(human.stdout, /extra\s+2\s+e\.g\. "m:/);
    assert.match(human.stdout, /and 4 target keys looked up on the source/);
    assert.equal(stored.totals.differences.extra, 2, 'stored with the migration');
    assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
    assert.match(skipped.stdout, /all identical/);
  });

  it('refuses bad input with exit 2', async () => {
    const result = await runCli(['verify', ...urls(), '--verify', 'deep']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--verify <level>.*Allowed choices are quick, full/);
  });
});
