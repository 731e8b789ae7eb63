import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import { type Follower, type FollowLine, startFollower, startWriter, type WriterResult } from './follow-processes.js';

/**
 * (f) redis-ferry migrate --follow while a writer child hits the source at a fixed rate:
 *  1. baseline: the writer alone, notifications off, for the source's CPU per write without follow mode;
 *  2. live: the writer runs through the whole copy and `afterCopyS` beyond it; then it stops, the
 *     cutover is requested at once (Ctrl-C), and the time to "safe to switch" is measured;
 *  3. steps (after a fresh copy, follow only): the writer at rising rates, `stepS` each: does the lag stay bounded?
 */
export interface FollowBenchOptions {
  rate: number;
  steps: number[];
  keys: number;
  seed: number;
  afterCopyS: number;
  stepS: number;
}

export interface FollowRun {
  writer: WriterResult;
  copyS: number;
  lagDuringCopy: FollowLine[];
  lagAfterCopy: FollowLine[];
  cutoverWaitS: number;
  exitCode: number | null;
}

export interface FollowStep {
  rate: number;
  writer: WriterResult;
  lines: FollowLine[];
  keptUp: boolean;
  /** Source CPU µs per write with follow mode (notifications + the follower's reads). */
  cpuUsPerWrite: number;
  dumpCalls: number;
  dumpUsPerCall: number;
  pttlCalls: number;
  pttlUsPerCall: number;
}

export interface FollowReport {
  options: FollowBenchOptions;
  baselineCpuUsPerWrite: number;
  baselineWriter: WriterResult;
  live?: FollowRun;
  steps: FollowStep[];
  load: number[][];
  failure?: string;
}

export const QUIET_PERIOD = '1s';
const log = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cpuUs(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const n = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (n('used_cpu_user') + n('used_cpu_sys')) * 1e6;
}

async function commandStats(admin: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await admin.info('commandstats');
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)) stats.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return stats;
}

/** The writer alone at `rate` for `seconds`, notifications off: the source's CPU per write. */
async function baseline(admin: Redis, port: number, o: FollowBenchOptions, seconds: number) {
  await admin.config('SET', 'notify-keyspace-events', '');
  const before = await cpuUs(admin);
  const writer = startWriter(port, o.rate, o.keys, o.seed + 1);
  await sleep(seconds * 1000);
  const result = await writer.stop();
  return { writer: result, cpuUsPerWrite: ((await cpuUs(admin)) - before) / result.sent };
}

async function liveRun(urls: [string, string], port: number, o: FollowBenchOptions): Promise<FollowRun> {
  const writer = startWriter(port, o.rate, o.keys, o.seed + 2);
  const ferry = await startFollower(urls[0], urls[1], QUIET_PERIOD);
  try {
    const started = Date.now();
    const copyDone = await ferry.waitFor(/Copy done; following/, 30 * 60_000);
    log(`  copy done in ${((copyDone - started) / 1000).toFixed(1)} s; writing ${o.afterCopyS} s more`);
    await sleep(o.afterCopyS * 1000);
    const result = await writer.stop();
    ferry.cutover();
    const safe = await ferry.waitFor(/safe to switch/, 10 * 60_000);
    const exitCode = await ferry.exit;
    if (exitCode !== 0) throw new Error(`redis-ferry exited with ${exitCode}: ${ferry.output()}`);
    return {
      writer: result,
      copyS: (copyDone - started) / 1000,
      lagDuringCopy: ferry.lines.filter((l) => l.at <= copyDone),
      lagAfterCopy: ferry.lines.filter((l) => l.at > copyDone && l.at <= result.stoppedAt),
      cutoverWaitS: (safe - result.stoppedAt) / 1000,
      exitCode,
    };
  } finally {
    await writer.stop().catch(() => undefined);
    await ferry.cleanup();
  }
}

async function oneStep(admin: Redis, ferry: Follower, port: number, rate: number, o: FollowBenchOptions): Promise<FollowStep> {
  const [cpu0, cs0] = [await cpuUs(admin), await commandStats(admin)];
  const from = Date.now();
  const writer = startWriter(port, rate, o.keys, o.seed + 3 + rate);
  await sleep(o.stepS * 1000);
  const result = await writer.stop();
  const [cpu1, cs1] = [await cpuUs(admin), await commandStats(admin)];
  const lines = ferry.lines.filter((l) => l.at > from && l.at <= result.stoppedAt);
  const delta = (name: string) => {
    const a = cs0.get(name) ?? { calls: 0, usec: 0 };
    const b = cs1.get(name) ?? { calls: 0, usec: 0 };
    return { calls: b.calls - a.calls, usec: b.usec - a.usec };
  };
  const [dump, pttl] = [delta('dump'), delta('pttl')];
  const first = lines[0];
  const last = lines.at(-1);
  // Kept up: the lag at the end of the step is small (≤ 1 s) or no larger than at its start.
  const keptUp = first !== undefined && last !== undefined && (last.lagS <= 1 || last.lagS <= first.lagS);
  return {
    rate,
    writer: result,
    lines,
    keptUp,
    cpuUsPerWrite: (cpu1 - cpu0) / result.sent,
    dumpCalls: dump.calls,
    dumpUsPerCall: dump.calls ? dump.usec / dump.calls : 0,
    pttlCalls: pttl.calls,
    pttlUsPerCall: pttl.calls ? pttl.usec / pttl.calls : 0,
  };
}

/** Fills `steps` as it goes, so a failure later keeps the steps measured. */
async function stepRun(admin: Redis, urls: [string, string], port: number, o: FollowBenchOptions, steps: FollowStep[]): Promise<void> {
  const ferry = await startFollower(urls[0], urls[1], QUIET_PERIOD);
  try {
    await ferry.waitFor(/Copy done; following/, 30 * 60_000);
    for (const rate of o.steps) {
      log(`  follow only, writer at ${rate}/s for ${o.stepS} s…`);
      const step = await oneStep(admin, ferry, port, rate, o);
      steps.push(step);
      const l = step.lines;
      log(
        `    achieved ${Math.round(step.writer.sent / (step.writer.ms / 1000))}/s; lag ${l.map((x) => x.lagS).join(' → ')} s; pending ${l.map((x) => x.pending).join(' → ')}`,
      );
      if (!step.keptUp) break;
      await sleep(6000); // one progress line between steps, so a step starts from a drained follower
    }
    ferry.cutover();
    await ferry.waitFor(/safe to switch/, 10 * 60_000);
    const exitCode = await ferry.exit;
    if (exitCode !== 0) throw new Error(`redis-ferry (steps) exited with ${exitCode}: ${ferry.output()}`);
  } finally {
    await ferry.cleanup();
  }
}

export async function runFollowBench(
  admins: { source: Redis; target: Redis },
  urls: [string, string],
  port: number,
  o: FollowBenchOptions,
): Promise<FollowReport> {
  const load = [loadavg()];
  log(`(f) baseline: the writer alone at ${o.rate}/s, notifications off…`);
  const base = await baseline(admins.source, port, o, 10);
  const report: FollowReport = { options: o, baselineCpuUsPerWrite: base.cpuUsPerWrite, baselineWriter: base.writer, steps: [], load };
  await admins.source.config('SET', 'notify-keyspace-events', 'AE');
  try {
    log(`(f) migrate --follow while the writer runs at ${o.rate}/s…`);
    await admins.target.flushall();
    report.live = await liveRun(urls, port, o);
    load.push(loadavg());
    log(`(f) follow only, stepping the writer up: ${o.steps.join(', ')}/s…`);
    await admins.target.flushall();
    await stepRun(admins.source, urls, port, o, report.steps);
  } catch (error) {
    report.failure = (error as Error).message.split('\n')[0];
    log(`  failed: ${report.failure}`);
  }
  load.push(loadavg());
  return report;
}
