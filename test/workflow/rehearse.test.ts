import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_CONTEXT, SOURCE_SECRET, TARGET_SECRET } from '../../scripts/demo-workflow.js';
import { synthToTemp, type TempAssembly } from '../../src/rehearse/cdk-synth.js';
import { readAssemblyStack } from '../../src/rehearse/cloud-assembly.js';
import { openRehearsal } from '../../src/rehearse/rehearsal.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, stopAll } from '../helpers/index.js';

/**
 * `redis-ferry rehearse` and `npm run demo:workflow`, against real redis-server processes: the app
 * is synthesized once, the way rehearse does it, with the demo's deploy settings (short slices, few
 * per unit per round, the demo's secrets granted), and every case runs that assembly.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const SOURCE_PASSWORD = 'rehearse-Src-pw!';
const TARGET_PASSWORD = 'rehearse-Tgt-pw?';
const passwords = { REDIS_FERRY_SOURCE_PASSWORD: SOURCE_PASSWORD, REDIS_FERRY_TARGET_PASSWORD: TARGET_PASSWORD };

let assembly: TempAssembly;
let source: RedisServer;
let target: RedisServer;
let work: string;
let keyCount = 0;

const executionInput = (config: Record<string, unknown> = {}) => ({
  config: {
    source: { addresses: [source.address], passwordSecretArn: SOURCE_SECRET },
    target: { addresses: [target.address], passwordSecretArn: TARGET_SECRET },
    ...config,
  },
});

async function writeJson(name: string, value: unknown): Promise<string> {
  const path = join(work, name);
  await writeFile(path, JSON.stringify(value));
  return path;
}

function assertNoPassword(output: string): void {
  for (const password of [SOURCE_PASSWORD, TARGET_PASSWORD]) assert.ok(!output.includes(password), 'a password was printed');
}

before(async () => {
  [assembly, source, target] = await Promise.all([
    synthToTemp(root, DEMO_CONTEXT),
    startRedis({ password: SOURCE_PASSWORD }),
    startRedis({ password: TARGET_PASSWORD }),
  ]);
  work = await mkdtemp(join(tmpdir(), 'redis-ferry-rehearse-'));
  keyCount = await seedMixedDataset(source.client({ db: 0 }), { perType: 5 });
  await seedStrings(source.client({ db: 0 }), 400, 'k:');
  await seedStrings(source.client({ db: 1 }), 100, 'one:');
  keyCount += 500;
});

after(async () => {
  assembly?.cleanup();
  await Promise.all([stopAll(), work && rm(work, { recursive: true, force: true })]);
});

describe('redis-ferry rehearse', () => {
  it('reads an execution input with --dry-run and secrets from a file: plans, reads every key, writes nothing', async () => {
    // --lambda-logs: the functions' own log lines on stderr (and no password among them).
    const input = await writeJson('dry.json', { migrationId: 'rehearse-dry', ...executionInput() });
    const secrets = await writeJson('secrets.json', { [SOURCE_SECRET]: { password: SOURCE_PASSWORD }, [TARGET_SECRET]: TARGET_PASSWORD });
    const args = ['rehearse', input, '--assembly', assembly.outdir, '--secrets', secrets, '--dry-run', '--lambda-logs'];
    const result = await runCli(args, {}, 180_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Dry run: reads the source, writes nothing/);
    assert.match(result.stdout, /▶ execution rehearse-dry \(round 0\)\n {2}Plan {14}phase copy, 2 of 2 unit\(s\): db0, db1/);
    assert.match(result.stdout, new RegExp(`read {7}${keyCount.toLocaleString('en-US')} keys read \\(dry run: nothing written\\)`));
    assert.match(result.stdout, /verify {5}none \(a dry run has no verify phase\)/);
    assert.match(result.stdout, /Migration rehearse-dry: finished, 2\/2 units done/);
    assert.match(result.stderr, /"message": "plan finished"/);
    assert.equal(await target.client({ db: 0 }).dbsize(), 0, 'the dry run wrote nothing');
    assert.equal(await target.client({ db: 1 }).dbsize(), 0, 'the dry run wrote nothing');
    assertNoPassword(result.stdout + result.stderr);
  });

  it('copies and verifies from a redis-shake config, passwords from the environment, as the deployed workflow would', async () => {
    const config = join(work, 'shake.toml');
    await writeFile(
      config,
      `[scan_reader]\naddress = "${source.address}"\npassword = "${SOURCE_SECRET}"\n\n` +
        `[redis_writer]\naddress = "${target.address}"\npassword = "${TARGET_SECRET}"\n\n[advanced]\nverify = "full"\n`,
    );
    const result = await runCli(['rehearse', config, '--assembly', assembly.outdir, '--id', 'rehearse-toml'], passwords, 180_000);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    // The copy round hands over to the verify round: two executions at least, each counted.
    assert.match(result.stdout, /▶ execution rehearse-toml \(round 0\)/);
    assert.match(result.stdout, /▶ execution rehearse-toml-[0-9a-f]{8}-r1 \(round 1\)\n {2}Plan {14}phase verify, 4 of 4 unit\(s\)/);
    assert.match(result.stdout, /Copy {3}db0 {2}slice 1 +\+\d+ copied {2}total +\d+ {2}cursor /);
    // docs/serverless.md's arithmetic: a round that hands over is 28 events, the last one 22; a child
    // of S slices 7 × S + 4 (one batch of 1,000 keys holds each db here: one slice per unit and phase).
    assert.match(
      result.stdout,
      /NextRound {9}starts execution rehearse-toml-[0-9a-f]{8}-r1\n.*\n {2}history {11}30 events; its largest child execution 11 /,
    );
    assert.match(result.stdout, /MigrationDone\n {2}history {11}24 events; its largest child execution 11 \(limit 25,000 each\)/);
    const keys = keyCount.toLocaleString('en-US');
    // The verify round checks each copy unit and, for keys only the target has, each target db (target/db0, target/db1).
    assert.match(
      result.stdout,
      new RegExp(`verify {5}full: ${keys} keys checked \\(and ${keys} target keys looked up on the source\\), none differ: passed`),
    );
    assert.match(result.stdout, /Migration rehearse-toml: finished, 2\/2 units done/);
    assert.match(result.stdout, /\+ 4 verify item\(s\) \(level full\): 4 done/);
    for (const db of [0, 1]) await assertSameData(source.client({ db }), target.client({ db }));
    assertNoPassword(result.stdout + result.stderr);
  });

  it("refuses an invalid input before running anything, with the Plan task's own one-line cause", async () => {
    const invalid = executionInput();
    invalid.config.source = { addresses: [source.address], password: SOURCE_PASSWORD } as never;
    const result = await runCli(['rehearse', await writeJson('invalid.json', invalid), '--assembly', assembly.outdir], passwords);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.doesNotMatch(result.stdout, /▶ execution/, 'no execution ran');
    assertNoPassword(result.stdout + result.stderr);

    // The deployed state machine, given the same input, ends with the same cause.
    const rehearsal = await openRehearsal({ stack: readAssemblyStack(assembly.outdir), secrets: new Map() });
    try {
      const { final } = await rehearsal.run(invalid, 'invalid-input');
      assert.equal(final.status, 'FAILED');
      assert.equal(final.error?.name, 'ConfigError');
      assert.match(final.error!.cause, /^the migration did not start: input\.config\.source\.password: passwords must not appear/);
      assert.equal(lines[0], `redis-ferry: the deployed workflow would fail in Plan with ConfigError: ${final.error!.cause}`);
    } finally {
      await rehearsal.close();
    }
  });

  it('warns of a secret the deployed functions may not read, and shows the Plan failing on it as it would on AWS', async () => {
    const ungranted = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/not-granted-XyZabc';
    const input = executionInput();
    input.config.source = { addresses: [source.address], passwordSecretArn: ungranted };
    const result = await runCli(['rehearse', await writeJson('ungranted.json', input), '--assembly', assembly.outdir], passwords);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`warning: the synthesized functions may not read secret ${ungranted}`));
    assert.match(
      result.stdout,
      new RegExp(`failed {5}ConfigError: the migration did not start: secret ${ungranted} cannot be read \\(AccessDeniedException\\)`),
    );
  });
});

/** Processes still running with `TMPDIR=dir` in their environment: whatever a child left behind. */
async function processesUsing(dir: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
  const found: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => '');
    if (environ.split('\0').includes(`TMPDIR=${dir}`)) found.push(Number(pid));
  }
  return found;
}

describe('npm run demo:workflow', () => {
  it('runs the workflow cluster → cluster to its verdict, and leaves no process or file behind', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'redis-ferry-demo-tmp-'));
    try {
      const result = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'scripts/demo-workflow.ts'), '--assembly', assembly.outdir], {
          cwd: root,
          env: { ...process.env, TMPDIR: tmp },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, output }));
      });
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.output,
        /Plan {14}phase copy, 3 of 3 unit\(s\): slots-0-5460\/db0, slots-5461-10921\/db0, slots-10922-16383\/db0/,
      );
      assert.match(result.output, /Plan {14}phase verify/);
      assert.match(
        result.output,
        /verify {5}full: [\d,]+ keys checked \(and [\d,]+ target keys looked up on the source\), none differ: passed/,
      );
      assert.match(result.output, /Demo passed: the workflow copied and verified every key\./);
      // tsx keeps its compile cache in the temp dir (as for any tsx run); nothing else may remain.
      assert.deepEqual(
        (await readdir(tmp)).filter((f) => !f.startsWith('tsx-')),
        [],
      );
      assert.deepEqual(await processesUsing(tmp), []);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
