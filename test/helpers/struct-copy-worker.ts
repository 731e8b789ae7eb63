/**
 * A copy worker in its own process, so the test can measure its memory honestly: routes every key
 * of db0 by size (SizeProbe; above the threshold → copyKeyByType in chunks, else DUMP + RESTORE),
 * sampling memory as it goes, and prints one JSON line with the results and the measurements.
 *
 * Input (env FERRY_WORKER, JSON): { sourcePort, targetPort, thresholdBytes, chunkBytes,
 *   mode: 'route' | 'dump' (the control: DUMP + RESTORE every key whole), keys?: string[],
 *   printChunks?: boolean (a line per chunk, so a test can kill the worker mid-key),
 *   gcEachChunk?: boolean (run with --expose-gc: collect garbage at every 4th chunk and record the
 *   memory still live then, i.e. what the copier really holds, apart from garbage not yet collected) }.
 */
import { Redis } from 'ioredis';
import { copyKeyByType, SizeProbe } from '../../src/struct/index.js';

interface Input {
  sourcePort: number;
  targetPort: number;
  thresholdBytes: number;
  chunkBytes: number;
  mode: 'route' | 'dump';
  keys?: string[];
  printChunks?: boolean;
  gcEachChunk?: boolean;
}

const input = JSON.parse(process.env.FERRY_WORKER ?? '{}') as Input;
const source = new Redis({ host: '127.0.0.1', port: input.sourcePort });
const target = new Redis({ host: '127.0.0.1', port: input.targetPort });

async function allKeys(): Promise<Buffer[]> {
  if (input.keys) return input.keys.map((k) => Buffer.from(k));
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await source.scanBuffer(cursor, 'COUNT', 1000)) as [Buffer, Buffer[]];
    keys.push(...batch);
    cursor = next.toString();
  } while (cursor !== '0');
  // SCAN order differs between server runs; a fixed order makes the measurement repeatable.
  return keys.sort(Buffer.compare);
}

const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0, live: 0 };
/** heapUsed + external right after a full GC: memory the worker still references. */
let chunks = 0;
const sampleLive = () => {
  // Every 4th chunk: a full GC per chunk would make the copy several times slower.
  if (!input.gcEachChunk || !global.gc || chunks++ % 4 !== 0) return;
  global.gc();
  const m = process.memoryUsage();
  peak.live = Math.max(peak.live, m.heapUsed + m.external - baseline.heapUsed - baseline.external);
};
const sample = () => {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
};

const keys = await allKeys();
const probe = new SizeProbe(source);
await probe.probe(keys.slice(0, 1)); // warm up the code paths before the baseline
await source.ping();
await target.ping();
if (global.gc) global.gc();
const atStart = process.memoryUsage();
const baseline = {
  rss: atStart.rss,
  heapUsed: atStart.heapUsed,
  external: atStart.external,
  maxRss: process.resourceUsage().maxRSS * 1024,
};
const timer = setInterval(sample, 2);

const started = performance.now();
const sizes = await probe.probe(keys);
const probeMs = performance.now() - started;
const results: Record<string, unknown>[] = [];
for (const { key, bytes } of sizes) {
  if (bytes === null) continue;
  const t0 = performance.now();
  if (input.mode === 'route' && bytes > input.thresholdBytes) {
    const r = await copyKeyByType(source, target, key, {
      replace: true,
      chunkBytes: input.chunkBytes,
      onChunk: (p) => {
        sample();
        sampleLive();
        if (input.printChunks) process.stdout.write(`chunk ${key.toString()} ${p.elements}\n`);
      },
    });
    results.push({
      key: key.toString(),
      route: 'struct',
      probed: bytes,
      status: r.status,
      type: r.type,
      chunks: r.chunks,
      bytes: r.bytes,
      elements: r.elements,
      notCarried: r.notCarried,
      changed: r.changedDuringCopy,
      ms: performance.now() - t0,
    });
  } else {
    const [payload, pttl] = await Promise.all([source.dumpBuffer(key), source.pttl(key)]);
    sample();
    sampleLive();
    await target.restore(key, Math.max(pttl, 0), payload!, 'REPLACE');
    results.push({
      key: key.toString(),
      route: 'restore',
      probed: bytes,
      status: 'copied',
      bytes: payload!.length,
      ms: performance.now() - t0,
    });
  }
  sample();
}
clearInterval(timer);
sample();
process.stdout.write(
  `${JSON.stringify({ baseline, peak, maxRss: process.resourceUsage().maxRSS * 1024, probeMs, copyMs: performance.now() - started, probeMethod: probe.method, results })}\n`,
);
source.disconnect();
target.disconnect();
