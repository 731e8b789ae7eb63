import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { type CliResult, oneErrorLine, runCli } from '../helpers/cli.js';
import { freePort, type RedisServer, startRedis } from '../helpers/index.js';

/** Bad input ends with one clear line, a non-zero exit, no stack trace, and the target untouched. */
describe('CLI: bad input', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;
  let stateDir: string;

  before(async () => {
    [source, target] = await Promise.all([startRedis({ password: '123456' }), startRedis()]);
    await seedStrings(source.client(), 100);
    await target.client().set('precious', 'do not touch');
    work = await mkdtemp(join(tmpdir(), 'ferry-errors-'));
    stateDir = join(work, 'state');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  const v4 = (src: string, extra = '', writer = '') =>
    `[scan_reader]\naddress = "${src}"\npassword = "123456"\n${extra}\n[redis_writer]\naddress = "${target.address}"\n${writer}`;

  async function expectOneLineFailure(result: CliResult, pattern: RegExp) {
    assert.match(oneErrorLine(result, { secrets: ['123456'] }), pattern);
    // The target is untouched.
    assert.equal(await target.client().dbsize(), 1);
    assert.equal(await target.client().get('precious'), 'do not touch');
  }

  async function migrateFile(name: string, text: string, ...flags: string[]) {
    const file = join(work, name);
    await writeFile(file, text);
    return runCli(['migrate', file, '--state-dir', stateDir, '--progress', 'none', ...flags]);
  }

  it('unreachable source', async () => {
    const port = await freePort();
    const result = await migrateFile('unreachable.toml', v4(`127.0.0.1:${port}`));
    await expectOneLineFailure(result, new RegExp(`cannot connect to source 127\\.0\\.0\\.1:${port}: connection refused`));
  });

  it('wrong password', async () => {
    const result = await runCli([
      'migrate',
      '--source',
      `redis://:wrong@${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--state-dir',
      stateDir,
    ]);
    await expectOneLineFailure(result, /rejected the credentials \(WRONGPASS\): check username and password/);
  });

  it("typo'd config key, with a suggestion", async () => {
    const result = await migrateFile('typo.toml', v4(source.address, 'cuont = 100'));
    await expectOneLineFailure(result, /typo\.toml:4: unknown option \[scan_reader\] cuont; did you mean count\?/);
  });

  it('invalid TOML: `password =` with no value says to write password = ""', async () => {
    const result = await migrateFile(
      'v3.toml',
      `type = "scan"\n[source]\naddress = "${source.address}"\npassword = "123456"\n\n[target]\ntype = "standalone"\naddress = "${target.address}"\npassword =\n`,
    );
    await expectOneLineFailure(result, /v3\.toml:9: `password =` has no value; .*password = ""/);
  });

  it('non-empty target without a policy', async () => {
    const result = await migrateFile('nonempty.toml', v4(source.address));
    await expectOneLineFailure(result, /db 0 holds 1 key.*needs an empty target.*"rewrite".*"skip"/);
    assert.deepEqual(await readdir(stateDir).catch(() => []), [], 'a refused migration leaves no state');
  });

  it('count = 0', async () => {
    const result = await migrateFile('count.toml', v4(source.address, 'count = 0'));
    await expectOneLineFailure(result, /count\.toml:4: \[scan_reader\] count: must be at least 1/);
  });

  it('a sync-mode config is refused with the way out', async () => {
    const result = await migrateFile(
      'sync.toml',
      `[sync_reader]\naddress = "${source.address}"\n[redis_writer]\naddress = "${target.address}"\n`,
    );
    await expectOneLineFailure(result, /scan_reader/);
  });

  it('a missing ${VAR} names the variable and the line', async () => {
    const result = await migrateFile('env.toml', v4('${NOT_SET_ANYWHERE}'));
    await expectOneLineFailure(result, /env\.toml:2: \$\{NOT_SET_ANYWHERE\} is not set in the environment/);
  });
});
