import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WAIT_DEADLINE_MS } from './wait.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const entry = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the real CLI (through tsx) as a child process; the caller may signal it. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to completion; one still running after `timeoutMs` is taken for hung and killed. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = WAIT_DEADLINE_MS): Promise<CliResult> {
  const { child, done } = spawnCli(args, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** The `redis-ferry:` lines a run wrote to stderr: its error lines. */
export function errorLines(result: CliResult): string[] {
  return result.stderr.split('\n').filter((l) => l.startsWith('redis-ferry:'));
}

/**
 * A run refused the way a user should see it: exit `code` (else any non-zero), exactly one
 * `redis-ferry:` line on stderr, no stack trace, none of `secrets` in the output. Returns the line.
 */
export function oneErrorLine(result: CliResult, options: { code?: number; secrets?: string[] } = {}): string {
  if (options.code === undefined) assert.notEqual(result.code, 0, `must exit non-zero:\n${result.stderr}`);
  else assert.equal(result.code, options.code, result.stderr);
  const lines = errorLines(result);
  assert.equal(lines.length, 1, `exactly one error line, got:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace');
  for (const secret of options.secrets ?? [])
    assert.ok(!`${result.stderr}${result.stdout}`.includes(secret), 'a secret appears in the output');
  return lines[0]!;
}

/** Where a run writes its state and how it reports: what the tests that read its JSON summary pass. */
export interface JsonRunOptions {
  /** The target URL. */
  target: string;
  stateDir: string;
  /** The migration id (absent: the CLI derives one). */
  id?: string;
  /** The progress display beside the summary (default: none). */
  progress?: 'none' | 'plain';
}

/**
 * The arguments of a run whose JSON summary the test reads from stdout: `command` (the command and
 * what it reads, e.g. `['restore', file]` or `['migrate', '--source', url]`), then the target, the
 * id, the state folder and the output flags of `run`, then `extra`.
 */
export function jsonRunArgs(command: string[], run: JsonRunOptions, ...extra: string[]): string[] {
  const id = run.id === undefined ? [] : ['--id', run.id];
  return [...command, '--target', run.target, ...id, '--state-dir', run.stateDir, '--progress', run.progress ?? 'none', '--json', ...extra];
}
