import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { findOnPath, missingRedisServer } from './redis-binaries.js';
import { WAIT_DEADLINE_MS } from './wait.js';

/**
 * Lifecycle of the redis-server / sentinel processes the harness launches:
 * temp dir, spawn, readiness, bind-failure retry, stop, and the safety net
 * that keeps servers from outliving a crashed test run.
 */

export interface ManagedProcess {
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  /** Resolves once the process has exited (and been reaped). */
  readonly exited: Promise<void>;
  isRunning(): boolean;
  /** Last lines of the server log and captured stdout/stderr. */
  logTail(lines?: number): string;
  /** SIGTERM, SIGKILL after ~3 s, wait for exit, rm -rf dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL right now (for failure tests). The dir stays until stop(). */
  kill(): void;
}

export interface LaunchOptions {
  /** mkdtemp prefix, e.g. 'redis-ferry-redis-'. */
  prefix: string;
  /** redis-server argv for this attempt; may write config files into dir. */
  args(ctx: { dir: string; port: number }): Promise<string[]>;
  /** Log file name inside dir (must match the `logfile` in args). */
  logFile: string;
  /**
   * One readiness attempt: connect, authenticate, and return the server's
   * INFO process_id. Throw if not ready yet.
   */
  probe(port: number): Promise<number>;
  /** Runs before the process is signalled on stop (e.g. drop clients). */
  beforeStop?(): void;
  /** Gives up on a server that never answers; generous, as a loaded machine starts slowly. */
  readyTimeoutMs?: number;
}

const BIND_RETRIES = 5;
const STOP_GRACE_MS = 3_000;

// Everything launched and not yet stopped. Only ChildProcess objects we
// spawned ourselves ever get signalled, and ChildProcess.kill() is a no-op
// once Node has reaped the child, so a recycled pid is never hit.
const live = new Map<ChildProcess, ManagedProcess>();
// Dirs of launches still in flight (created, process not registered yet).
const pendingDirs = new Set<string>();

// ONE synchronous exit hook for the whole module: if a test crashes or forgets
// stop(), the children die with us instead of leaking. (Ctrl-C reaches them
// anyway: they share our process group because we do not spawn detached.)
process.on('exit', () => {
  for (const [child, proc] of live) {
    child.kill('SIGKILL');
    rmSync(proc.dir, { recursive: true, force: true });
  }
  for (const dir of pendingDirs) rmSync(dir, { recursive: true, force: true });
});
// A test process ended by SIGTERM or SIGHUP (a runner's timeout, a `kill <pid>`) would skip the
// exit hook and orphan its servers: exit instead, with the signal's usual status, so the hook runs.
for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const) {
  process.once(signal, () => process.exit(128 + number));
}

// Topology-level teardowns (cluster/sentinel sets), so stopAll() also drops
// their clients, whose reconnect loops would otherwise keep the test alive.
const teardowns = new Set<() => Promise<void>>();

/** Registers a teardown for stopAll(); call the returned function to unregister. */
export function registerTeardown(fn: () => Promise<void>): () => void {
  teardowns.add(fn);
  return () => teardowns.delete(fn);
}

/** Stops every topology and process the harness started and has not stopped yet. */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...teardowns].map((fn) => fn()));
  await Promise.allSettled([...live.values()].map((p) => p.stop()));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits for `p` up to `ms`; the timer is cleared so it never delays exit. */
async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function tail(file: string, lines: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function spawnIn(dir: string, port: number, args: string[], opts: LaunchOptions): ManagedProcess {
  // Redis writes its own logfile; stdout/stderr still matter for errors it
  // prints before the logfile is open (bad config, bad TLS files).
  const outFile = join(dir, 'stdout.log');
  const out = openSync(outFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('redis-server', args, { cwd: dir, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  // A forgotten server must not keep the test process alive; the exit hook
  // above kills it when we go.
  child.unref();
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (err) => {
      spawnError = err;
      resolve();
    });
  });
  if (child.pid === undefined) {
    // The 'error' event (ENOENT) comes later; no pid at all almost always means no redis-server.
    throw new Error(
      findOnPath('redis-server')
        ? `could not spawn redis-server: ${spawnError?.message ?? 'no pid'}`
        : missingRedisServer('the test harness'),
    );
  }
  const running = () => child.exitCode === null && child.signalCode === null && !spawnError;
  let stopping: Promise<void> | undefined;
  const proc: ManagedProcess = {
    pid: child.pid,
    port,
    dir,
    exited,
    isRunning: running,
    logTail: (lines = 30) => [tail(join(dir, opts.logFile), lines), tail(outFile, lines)].filter(Boolean).join('\n'),
    kill: () => {
      child.kill('SIGKILL');
    },
    stop: () => {
      stopping ??= (async () => {
        opts.beforeStop?.();
        if (running()) {
          child.kill('SIGTERM');
          // within() uses a ref'd timer, which also keeps the event loop
          // alive while we wait on the unref'd child.
          if (!(await within(exited, STOP_GRACE_MS))) child.kill('SIGKILL');
          if (!(await within(exited, WAIT_DEADLINE_MS))) {
            throw new Error(`redis-server pid ${child.pid} did not exit after SIGKILL`);
          }
        }
        live.delete(child);
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  live.set(child, proc);
  return proc;
}

/**
 * Launches redis-server in a fresh temp dir on a free port and waits until it
 * answers (as the very process we spawned). Retries with a new port when the
 * bind fails; otherwise throws with the log tail.
 */
export async function launch(opts: LaunchOptions): Promise<ManagedProcess> {
  const deadlineMs = opts.readyTimeoutMs ?? WAIT_DEADLINE_MS;
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(join(tmpdir(), opts.prefix));
    pendingDirs.add(dir);
    let proc: ManagedProcess;
    try {
      const port = await freePort();
      proc = spawnIn(dir, port, await opts.args({ dir, port }), opts);
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    } finally {
      pendingDirs.delete(dir);
    }
    const { port } = proc;
    const deadline = Date.now() + deadlineMs;
    let lastError: unknown;
    while (proc.isRunning() && Date.now() < deadline) {
      try {
        // Checking process_id guards against the freePort race: if someone
        // else took the port, we must not mistake their server for ours.
        if ((await opts.probe(port)) === proc.pid) return proc;
        lastError = new Error(`port ${port} is served by another process`);
      } catch (err) {
        lastError = err;
      }
      await sleep(50);
    }
    const log = proc.logTail();
    const exitedEarly = !proc.isRunning();
    await proc.stop();
    if (exitedEarly && /address already in use/i.test(log) && attempt < BIND_RETRIES) continue;
    const why = exitedEarly ? 'exited before becoming ready' : `not ready within ${deadlineMs} ms (last probe error: ${String(lastError)})`;
    throw new Error(`redis-server on 127.0.0.1:${port} ${why}.\n--- log tail ---\n${log}`);
  }
}
