import type { ChildProcess } from 'node:child_process';
import { type CliResult, runCli, spawnCli } from './cli.js';
import { waitUntil } from './wait.js';

export interface FollowRun {
  child: ChildProcess;
  done: Promise<CliResult>;
  /** Everything the run printed so far (stdout and stderr). */
  output(): string;
  /** Waits (generously) until the output matches `pattern` `times` times. */
  waitFor(pattern: RegExp, description: string, times?: number): Promise<void>;
  /** Asks for the cutover from another process, as a user would, and waits for the run to end. */
  cutover(): Promise<CliResult>;
}

/** Starts `redis-ferry migrate --follow [mode]` as a child process, with the given extra arguments. */
/** Follow runs started and not yet ended: a test that fails before its cutover leaves one running. */
const running = new Set<FollowRun>();

/**
 * Kills (SIGKILL) every follow run still running, and waits for each to end: call it in the
 * afterEach of a file that starts them, so a failed test cannot keep the file's process alive.
 */
export async function stopFollowRuns(): Promise<void> {
  const left = [...running];
  running.clear();
  for (const run of left) run.child.kill('SIGKILL');
  await Promise.allSettled(left.map((run) => run.done));
}

export function startFollowRun(args: {
  source: string;
  target: string;
  id: string;
  stateDir: string;
  extra?: string[];
  /** `--follow <mode>` (default: a bare --follow). */
  mode?: 'events' | 'rescan';
}): FollowRun {
  const run = spawnCli([
    'migrate',
    '--source',
    args.source,
    '--target',
    args.target,
    '--follow',
    ...(args.mode ? [args.mode] : []),
    '--quiet-period',
    '500ms',
    '--id',
    args.id,
    '--state-dir',
    args.stateDir,
    '--progress',
    'plain',
    ...(args.extra ?? []),
  ]);
  let out = '';
  run.child.stdout!.on('data', (d) => (out += d));
  run.child.stderr!.on('data', (d) => (out += d));
  const follow: FollowRun = {
    ...run,
    output: () => out,
    waitFor: (pattern, description, times = 1) =>
      waitUntil(async () => (out.match(new RegExp(pattern, 'g'))?.length ?? 0) >= times || out.slice(-400), {
        description,
        timeoutMs: 180_000,
        intervalMs: 200,
      }),
    cutover: async () => {
      const request = await runCli(['cutover', args.id, '--state-dir', args.stateDir]);
      if (request.code !== 0) throw new Error(`cutover refused: ${request.stderr}`);
      return run.done;
    },
  };
  running.add(follow);
  void run.done.finally(() => running.delete(follow));
  return follow;
}
