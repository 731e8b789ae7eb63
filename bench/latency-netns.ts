import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * (e) A source behind real added latency: a network namespace joined to this one by a veth pair
 * on a private /30 that exists only between the two ends created here, netem delay on both ends
 * (10 ms each way = 20 ms RTT), and a redis-server running inside the namespace. Everything is
 * removed in stop(), and by an exit hook if the bench dies first.
 */
export class LatencyUnavailableError extends Error {
  override name = 'LatencyUnavailableError';
}

const HOST_ADDR = '10.200.0.1';
const NS_ADDR = '10.200.0.2';
const PORT = 6379;

export interface NetnsSource {
  readonly kind: 'netns';
  readonly host: string;
  readonly port: number;
  /** Sets the added round-trip time (half on each end); 0 removes the qdiscs. */
  setRtt(rttMs: number): void;
  stop(): Promise<void>;
}

function run(args: string[]): string {
  try {
    return execFileSync(args[0]!, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const e = error as { stderr?: string; message: string; code?: string };
    throw new LatencyUnavailableError(
      `\`${args.join(' ')}\` failed: ${(e.stderr || e.message).trim()}${e.code === 'ENOENT' ? ' (install iproute2: apt-get install -y iproute2)' : ''}`,
    );
  }
}

export async function startNetnsSource(): Promise<NetnsSource> {
  const ns = `rfb-${process.pid}`;
  const hostIf = `rfb${process.pid}h`;
  const nsIf = `rfb${process.pid}n`;
  const inNs = (...args: string[]) => run(['ip', 'netns', 'exec', ns, ...args]);
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  let stopped = false;

  // Synchronous, so the same code serves stop() and the process 'exit' hook.
  const cleanup = () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', cleanup);
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    for (const args of [
      ['ip', 'netns', 'del', ns],
      ['ip', 'link', 'del', hostIf],
    ]) {
      try {
        execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
      } catch {
        // Already gone (deleting the namespace removes the veth pair).
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  };

  if (run(['ip', '-4', 'addr', 'show']).includes(`${HOST_ADDR}/`)) {
    throw new LatencyUnavailableError(`${HOST_ADDR} is already configured here (another bench run?); not touching it`);
  }
  run(['ip', 'netns', 'add', ns]);
  process.on('exit', cleanup);
  try {
    run(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    run(['ip', 'link', 'set', nsIf, 'netns', ns]);
    run(['ip', 'addr', 'add', `${HOST_ADDR}/30`, 'dev', hostIf]);
    run(['ip', 'link', 'set', hostIf, 'up']);
    inNs('ip', 'addr', 'add', `${NS_ADDR}/30`, 'dev', nsIf);
    inNs('ip', 'link', 'set', nsIf, 'up');
    inNs('ip', 'link', 'set', 'lo', 'up');
    // Fail before starting anything else if this kernel has no netem (sch_netem).
    run(['tc', 'qdisc', 'add', 'dev', hostIf, 'root', 'netem', 'delay', '1ms']);
    run(['tc', 'qdisc', 'del', 'dev', hostIf, 'root']);

    dir = mkdtempSync(join(tmpdir(), 'redis-ferry-bench-netns-'));
    server = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'redis-server',
        '--bind',
        NS_ADDR,
        '--port',
        String(PORT),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        join(dir, 'redis.log'),
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitForPing(NS_ADDR, PORT, 10_000);
  } catch (error) {
    cleanup();
    throw error;
  }

  return {
    kind: 'netns',
    host: NS_ADDR,
    port: PORT,
    setRtt(rttMs) {
      for (const [dev, exec] of [
        [hostIf, run],
        [nsIf, (args: string[]) => inNs(...args)],
      ] as const) {
        if (rttMs > 0) exec(['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'netem', 'delay', `${rttMs / 2}ms`]);
        else {
          try {
            exec(['tc', 'qdisc', 'del', 'dev', dev, 'root']);
          } catch {
            // No qdisc to remove.
          }
        }
      }
    },
    async stop() {
      cleanup();
    },
  };
}

async function waitForPing(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 500,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new LatencyUnavailableError(`redis-server in the namespace did not answer on ${host}:${port}: ${(error as Error).message}`);
    } finally {
      client.disconnect();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
