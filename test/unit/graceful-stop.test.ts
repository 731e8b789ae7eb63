import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { QUIT_CHECKPOINT_STANDS } from '../../src/cli/graceful-stop.js';
import { waitForEvent, waitUntil } from '../helpers/wait.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('../fixtures/graceful-stop-child.ts', import.meta.url));
const NOTICE = 'log: Stopping after the current batch (press Ctrl-C again to quit at once)…';

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Waits for the child to exit (a deadline turns one that never will into an error). */
  exit: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until the child has said `line` on stdout. */
  said: (line: string) => Promise<void>;
}

/** Runs the fixture with `variant` (real signals need a process of their own) and waits for it to be ready. */
async function startChild(variant: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, variant], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const said = (line: string) =>
    waitUntil(async () => stdout.split('\n').includes(line) || `stdout so far: ${JSON.stringify(stdout)}`, {
      description: `the child to say ${JSON.stringify(line)}`,
    });
  await said('ready');
  const exit = () => waitForEvent(exited, 'the child to exit');
  return { process: child, stdout: () => stdout, stderr: () => stderr, exit, said };
}

/** Runs `body` with a child of `variant`, which never outlives the test. */
async function withChild(variant: string, body: (child: Child) => Promise<void>): Promise<void> {
  const child = await startChild(variant);
  try {
    await body(child);
  } finally {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exit();
  }
}

describe('Function: gracefulStop', () => {
  it('asks the run to stop on the first signal, and quits at once with exit 130 on the second', async () => {
    await withChild('default', async (child) => {
      // Act: SIGTERM first (a service manager), then Ctrl-C.
      child.process.kill('SIGTERM');
      await child.said(NOTICE);
      await child.said('stop requested');
      child.process.kill('SIGINT');
      const { code } = await child.exit();

      // Assess
      assert.equal(code, 130);
      assert.ok(child.stdout().includes('display stopped\n'), 'the display is cleared before the quit');
      assert.equal(child.stderr(), QUIT_CHECKPOINT_STANDS);
    });
  });

  it('lets a claim take a signal for itself before it counts towards the stop', async () => {
    await withChild('claim-once', async (child) => {
      // Act, Assess: the first signal is claimed; nothing is stopping.
      child.process.kill('SIGINT');
      await child.said('claimed');
      assert.ok(!child.stdout().includes('log: '), 'a claimed signal shows no stop notice');

      child.process.kill('SIGINT');
      await child.said(NOTICE);
      await child.said('stop requested');

      child.process.kill('SIGINT');
      assert.equal((await child.exit()).code, 130);
    });
  });

  it('leaves the signals it was not given to their default action', async () => {
    await withChild('sigint-only', async (child) => {
      // Act
      child.process.kill('SIGTERM');
      const { code, signal } = await child.exit();

      // Assess
      assert.deepEqual({ code, signal }, { code: null, signal: 'SIGTERM' });
      assert.ok(!child.stdout().includes('log: '));
    });
  });

  it('stops listening once disposed', async () => {
    await withChild('disposed', async (child) => {
      // Act
      child.process.kill('SIGINT');
      const { code, signal } = await child.exit();

      // Assess
      assert.deepEqual({ code, signal }, { code: null, signal: 'SIGINT' });
      assert.ok(!child.stdout().includes('log: '));
    });
  });
});
