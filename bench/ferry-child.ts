import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSample } from './sample.js';

/**
 * (d)/(e) redis-ferry as users run it: the real CLI in a child process, so its peak RSS and CPU
 * are its own (read by exit-stats.mjs at exit) and nothing of the bench shares its event loop.
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// The bundled CLI, as installed users run it (`npm run build`; run.ts builds it first): no tsx in
// the child, so peak RSS and start-up CPU are the product's own.
const cli = join(repoRoot, 'dist/redis-ferry.mjs');
const exitStats = join(repoRoot, 'bench/exit-stats.mjs');

// A child still running when the bench exits (error, Ctrl-C, kill) goes with it.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface FerryOptions {
  /** The CLI bundle to run (default: this checkout's dist/redis-ferry.mjs); ab.ts compares two. */
  cli?: string;
  source: string;
  target: string;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Extra `migrate` flags. */
  args?: string[];
  /** `verify` at this level instead of `migrate` (the target must hold the copy already). */
  verify?: 'quick' | 'full';
  /** Subtracted from the run's CPU time (see measureStartupCost). */
  startupCpuMs?: number;
  /** `restore` this RDB file or s3:// URI into the target instead of a `migrate` from `source`. */
  restore?: string;
  /** Extra environment for the child (e.g. the credentials of a local S3 server). */
  env?: Record<string, string>;
}

export type FerryOutcome =
  | { ok: true; sample: RunSample; summary: FerrySummary }
  | { ok: false; exitCode: number | null; stderr: string; unsupported?: string };

export interface FerrySummary {
  status: string;
  durationMs: number;
  totals: { copied: number; bytes: number; scanned: number; batches: number; [k: string]: number };
  units: unknown[];
}

/** Runs `redis-ferry migrate … --fresh --json --progress none` (or `verify … --json`) once and collects its numbers. */
export async function runFerry(options: FerryOptions): Promise<FerryOutcome> {
  const work = await mkdtemp(join(tmpdir(), 'redis-ferry-bench-'));
  const statsFile = join(work, 'stats.json');
  const common = ['--target', options.target, '--json', '--state-dir', join(work, 'state')];
  const endpoints = ['--source', options.source, ...common];
  // The rows time the copy (or the restore), which the ceilings bound; the bench checks the target's key count itself.
  const timed = ['--fresh', '--progress', 'none', '--verify', 'none', ...(options.args ?? [])];
  const command = options.restore
    ? ['restore', options.restore, ...common, ...timed]
    : options.verify
      ? ['verify', ...endpoints, '--verify', options.verify]
      : ['migrate', ...endpoints, ...timed];
  const argv = [...(options.nodeArgs ?? []), '--import', exitStats, options.cli ?? cli, ...command];
  try {
    const started = performance.now();
    const child = spawn(process.execPath, argv, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.env,
        REDIS_FERRY_BENCH_STATS: statsFile,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    running.add(child);
    child.once('close', () => running.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const wallMs = performance.now() - started;
    if (exitCode !== 0) {
      // Discovery refusing a topology is a ConfigError (exit 2): the engine cannot do it yet.
      const refused = /deployment; this build (copies|writes) standalone/.exec(stderr);
      return {
        ok: false,
        exitCode,
        stderr: stderr.trim(),
        ...(exitCode === 2 && refused ? { unsupported: stderr.trim().split('\n')[0] } : {}),
      };
    }
    const parsed = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as FerrySummary | VerifyResult;
    const summary: FerrySummary = 'passed' in parsed ? verifySummary(parsed) : parsed;
    const stats = JSON.parse(await readFile(statsFile, 'utf8')) as { maxRssKb: number; userUs: number; systemUs: number };
    return {
      ok: true,
      summary,
      sample: {
        keys: summary.totals.copied,
        bytes: summary.totals.bytes,
        // The engine's own clock (discovery, planning, copy): node start-up is in wallMs.
        ms: summary.durationMs,
        wallMs,
        cpuMs: Math.max(0, (stats.userUs + stats.systemUs) / 1000 - (options.startupCpuMs ?? 0)),
        rssMb: stats.maxRssKb / 1024,
      },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What `verify --json` prints (src/core/verify-report.ts), as far as the bench reads it. */
interface VerifyResult {
  durationMs: number;
  passed: boolean;
  mismatches: number;
  totals: { checked: number; skipped: number };
}

/** A verify run in the copy's terms: keys checked count as the keys of the row, no payload bytes. */
function verifySummary(result: VerifyResult): FerrySummary {
  return {
    status: result.passed && result.mismatches === 0 ? 'completed' : `verify found ${result.mismatches} mismatch(es)`,
    durationMs: result.durationMs,
    totals: { copied: result.totals.checked, bytes: 0, scanned: result.totals.checked + result.totals.skipped, batches: 0 },
    units: [],
  };
}

export interface StartupCost {
  rssMb: number;
  cpuMs: number;
}

/**
 * The CLI doing nothing (`migrate --help`): the peak RSS and CPU that are Node + module
 * loading. Its CPU is subtracted from every run's, so "CPU per 1M keys" does not depend on --keys.
 */
export async function measureStartupCost(bundle = cli): Promise<StartupCost> {
  const work = await mkdtemp(join(tmpdir(), 'redis-ferry-bench-'));
  const statsFile = join(work, 'stats.json');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', exitStats, bundle, 'migrate', '--help'], {
        cwd: repoRoot,
        stdio: 'ignore',
        env: { ...process.env, REDIS_FERRY_BENCH_STATS: statsFile },
      });
      child.once('error', reject);
      child.once('close', () => resolve());
    });
    const stats = JSON.parse(await readFile(statsFile, 'utf8')) as { maxRssKb: number; userUs: number; systemUs: number };
    return { rssMb: stats.maxRssKb / 1024, cpuMs: (stats.userUs + stats.systemUs) / 1000 };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
