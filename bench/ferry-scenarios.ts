import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Endpoint } from './ceilings.js';
import { startDelayProxy } from './delay-proxy.js';
import { type FerryOptions, runFerry } from './ferry-child.js';
import { LatencyUnavailableError, startNetnsSource } from './latency-netns.js';
import { type ProfileSummary, readProfileDir } from './profile.js';
import { median } from './report.js';
import type { RunSample } from './sample.js';

/** redis-ferry runs (d, e, p). */

/** Thrown when discovery refuses a topology: the row says "not yet supported", not "failed". */
export class NotSupportedError extends Error {
  override name = 'NotSupportedError';
}

/** One run into an empty target, checked: completed, every key copied and on the target. */
export async function ferryOnce(options: FerryOptions, targetAdmins: Redis[], expectedKeys: number): Promise<RunSample> {
  const outcome = await runFerry(options);
  if (!outcome.ok) {
    if (outcome.unsupported) throw new NotSupportedError(outcome.unsupported);
    throw new Error(`redis-ferry exited with ${outcome.exitCode}: ${outcome.stderr.slice(-1500)}`);
  }
  const { summary, sample } = outcome;
  if (summary.status !== 'completed') throw new Error(`redis-ferry finished with status ${summary.status}`);
  const landed = (await Promise.all(targetAdmins.map((c) => c.dbsize()))).reduce((a, b) => a + b, 0);
  if (sample.keys !== expectedKeys || landed !== expectedKeys) {
    throw new Error(`redis-ferry copied ${sample.keys} keys and the target holds ${landed}, expected ${expectedKeys}`);
  }
  return sample;
}

/** Median PING round trip through a path, as the engine would see it. */
export async function measureRttMs(endpoint: Endpoint): Promise<number> {
  const client = new Redis({ host: endpoint.host, port: endpoint.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await client.ping();
      times.push(performance.now() - t);
    }
    return median(times);
  } finally {
    client.disconnect();
  }
}

export interface LatencyPath {
  kind: 'netns' | 'proxy';
  endpoint: Endpoint;
  describe: string;
  setRtt(rttMs: number): void;
  stop(): Promise<void>;
}

/**
 * The source path for (e): netns + veth + netem with its own loaded redis-server when the kernel
 * allows it, else (mode auto/proxy) a userspace delay proxy in front of the loopback source.
 * `notes` receives why netns was not used.
 */
export async function openLatencyPath(
  mode: 'auto' | 'netns' | 'proxy',
  loopbackSource: Endpoint,
  loadInto: (endpoint: Endpoint) => Promise<void>,
  notes: string[],
): Promise<LatencyPath | undefined> {
  if (mode !== 'proxy') {
    try {
      const ns = await startNetnsSource();
      try {
        await loadInto({ host: ns.host, port: ns.port });
      } catch (error) {
        await ns.stop();
        throw error;
      }
      return {
        kind: 'netns',
        endpoint: { host: ns.host, port: ns.port },
        describe: 'network namespace + veth + netem',
        setRtt: (ms) => ns.setRtt(ms),
        stop: () => ns.stop(),
      };
    } catch (error) {
      if (!(error instanceof LatencyUnavailableError)) throw error;
      notes.push(`netns/netem path not available here: ${error.message}`);
      if (mode === 'netns') return undefined;
    }
  }
  const proxy = await startDelayProxy(loopbackSource);
  notes.push(
    '(e) used the userspace delay proxy (bench/delay-proxy.ts) instead of netem; its own CPU cost is in both (e) rows, so compare (e) with (e0), not with (d)',
  );
  return {
    kind: 'proxy',
    endpoint: { host: proxy.host, port: proxy.port },
    describe: 'userspace delay proxy',
    setRtt: (ms) => proxy.setRtt(ms),
    stop: () => proxy.stop(),
  };
}

/** (p) One run under `node --cpu-prof`, summarised by self time. */
export async function profileOnce(options: FerryOptions, targetAdmins: Redis[], expectedKeys: number): Promise<ProfileSummary> {
  await Promise.all(targetAdmins.map((c) => c.flushall()));
  const dir = await mkdtemp(join(tmpdir(), 'redis-ferry-bench-prof-'));
  try {
    await ferryOnce({ ...options, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] }, targetAdmins, expectedKeys);
    return await readProfileDir(dir, 15);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
