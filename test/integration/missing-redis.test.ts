import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const INSTALL_LINE =
  /needs redis-server \(Redis 7\.0 or later\) on the PATH, and there is none: install it \(Debian\/Ubuntu: sudo apt-get install -y redis-server redis-tools; macOS: brew install redis\)$/;

describe('a machine without redis-server on the PATH', () => {
  let bin: string;
  before(async () => {
    // A PATH holding node and nothing else.
    bin = await mkdtemp(join(tmpdir(), 'ferry-no-redis-'));
    await symlink(process.execPath, join(bin, 'node'));
  });
  after(() => rm(bin, { recursive: true, force: true }));

  const run = (script: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const file = fileURLToPath(new URL(`../../${script}`, import.meta.url));
      const child = spawn(process.execPath, ['--import', 'tsx', file], { env: { ...process.env, PATH: bin } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('npm run demo says in one line what is missing and how to install it, and exits 1, starting nothing', async () => {
    const result = await run('scripts/demo.ts');
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr.trimEnd(), new RegExp(`^npm run demo ${INSTALL_LINE.source}`));
    assert.equal(result.stdout, '', 'nothing was started');
  });

  it("npm test's pretest check says the same in one line and exits 1 before any test runs", async () => {
    const result = await run('scripts/require-redis.ts');
    assert.equal(result.code, 1, result.stderr);
    assert.deepEqual(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    assert.match(result.stderr.trimEnd(), new RegExp(`^npm test ${INSTALL_LINE.source}`));
  });

  it('the pretest check passes on this machine (redis-server 7 is installed)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../scripts/require-redis.ts', import.meta.url))], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0);
  });
});
