import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** (f) The two child processes of a follow row: the writer and `redis-ferry migrate --follow`. */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const cli = join(repoRoot, 'dist/redis-ferry.mjs');
const writerScript = join(repoRoot, 'bench/follow-writer.ts');

// Children still running when the bench exits (error, Ctrl-C) go with it, by pid.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
});

function track(child: ChildProcess): Promise<number | null> {
  running.add(child);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
}

export interface WriterResult {
  sent: number;
  errors: number;
  ms: number;
  /** Date.now() once the writer's last write was answered. */
  stoppedAt: number;
}

export interface Writer {
  stop(): Promise<WriterResult>;
}

export function startWriter(port: number, rate: number, keys: number, seed: number): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, String(port), String(rate), String(keys), String(seed)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const closed = track(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString();
  });
  return {
    async stop() {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      const code = await closed;
      if (code !== 0) throw new Error(`the writer exited with ${code}`);
      return JSON.parse(out.trim()) as WriterResult;
    },
  };
}

/** One `unit …: following; N events …` progress line, as src/cli/follow-format.ts prints it. */
export interface FollowLine {
  at: number;
  events: number;
  pending: number;
  lagS: number;
}

const FOLLOW_LINE = /unit \S+: \S+; (\d+) events.*?, (\d+) pending, lag ([\d.]+) s/;

export interface Follower {
  lines: FollowLine[];
  /** Resolves with Date.now() when a line matching `re` appears (or has already). */
  waitFor(re: RegExp, timeoutMs: number): Promise<number>;
  /** Ctrl-C once: the cutover request. */
  cutover(): void;
  exit: Promise<number | null>;
  output(): string;
}

export async function startFollower(source: string, target: string, quietPeriod: string): Promise<Follower & { cleanup(): Promise<void> }> {
  const work = await mkdtemp(join(tmpdir(), 'redis-ferry-bench-follow-'));
  const args = ['--source', source, '--target', target, '--state-dir', join(work, 'state'), '--fresh'];
  const flags = ['--follow', '--quiet-period', quietPeriod, '--progress', 'plain', '--verify', 'quick'];
  const child = spawn(process.execPath, [cli, 'migrate', ...args, ...flags], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const exit = track(child);
  const lines: FollowLine[] = [];
  const seen: { at: number; text: string }[] = [];
  const waiters: { re: RegExp; resolve: (at: number) => void }[] = [];
  const onLine = (text: string) => {
    const at = Date.now();
    seen.push({ at, text });
    const m = FOLLOW_LINE.exec(text);
    if (m) lines.push({ at, events: Number(m[1]), pending: Number(m[2]), lagS: Number(m[3]) });
    for (const w of waiters.filter((w) => w.re.test(text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(at);
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream?.on('data', (c: Buffer) => {
      buffer += c.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const p of parts) onLine(p);
    });
  }
  return {
    lines,
    waitFor(re, timeoutMs) {
      const hit = seen.find((l) => re.test(l.text));
      if (hit) return Promise.resolve(hit.at);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${re.source}" within ${timeoutMs / 1000} s`)), timeoutMs);
        waiters.push({
          re,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`redis-ferry exited (${code}) before "${re.source}": ${tail(seen)}`));
        });
      });
    },
    cutover() {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGINT');
    },
    exit,
    output: () => tail(seen),
    async cleanup() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await exit.catch(() => {});
      await rm(work, { recursive: true, force: true });
    },
  };
}

function tail(seen: { text: string }[]): string {
  return seen
    .slice(-8)
    .map((l) => l.text)
    .join(' | ');
}
