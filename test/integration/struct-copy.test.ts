import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { cleanupTempKeys, copyKeyByType, DEFAULT_TEMP_PREFIX, SizeProbe } from '../../src/struct/index.js';
import { BIG, seedBigKeys } from '../fixtures/big-keys.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

const MB = 1024 * 1024;
/** The big-key threshold of the done criteria. */
const THRESHOLD = 1 * MB;
/**
 * The stated bound: while it copies every big key by type (about 220 MB of values here), the
 * worker's peak RSS stays within this much of its RSS before the copy. Measured: 93-103 MB, and
 * 60-70 MB for one key alone, whether 50 or 200 MB. Chunks are ~1 MB; the rest is garbage V8 lets
 * pile up before collecting (up to ~64 MB of dead Buffers, and the heap churned by 200k XADD
 * commands), which does not grow with the size of a key. A worker holding keys whole goes far past
 * it (the control below: 250-300 MB).
 */
const RSS_BOUND = 160 * MB;
const worker = fileURLToPath(new URL('../helpers/struct-copy-worker.ts', import.meta.url));

interface WorkerReport {
  baseline: { rss: number };
  maxRss: number;
  copyMs: number;
  probeMethod: string;
  results: {
    key: string;
    route: string;
    probed: number;
    status: string;
    chunks?: number;
    bytes: number;
    notCarried?: Record<string, number>;
    ms: number;
  }[];
}

function runWorker(
  input: Record<string, unknown>,
  onLine?: (line: string, kill: () => void) => void,
): Promise<{ report?: WorkerReport; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', worker], {
      env: { ...process.env, FERRY_WORKER: JSON.stringify(input) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let report: WorkerReport | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      let nl = out.indexOf('\n');
      while (nl >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (line.startsWith('{')) report = JSON.parse(line) as WorkerReport;
        else onLine?.(line, () => child.kill('SIGKILL'));
        nl = out.indexOf('\n');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ report, code, signal }));
  });
}

/** Lengths of the big keys on the target, by their type's own length command. */
async function lengths(client: Redis): Promise<number[]> {
  return Promise.all([
    client.hlen(BIG.hash),
    client.zcard(BIG.zset),
    client.llen(BIG.list),
    client.strlen(BIG.string),
    client.scard(BIG.set),
    client.xlen(BIG.stream),
  ]);
}

async function streamShape(client: Redis, key: string) {
  const info = (await client.call('XINFO', 'STREAM', key)) as unknown[];
  const m = new Map<string, unknown>();
  for (let i = 0; i < info.length; i += 2) m.set(String(info[i]), info[i + 1]);
  const groups = (await client.call('XINFO', 'GROUPS', key)) as unknown[][];
  const perGroup = [];
  for (const g of groups) {
    const name = String(g[1]);
    const consumers = ((await client.call('XINFO', 'CONSUMERS', key, name)) as unknown[][]).map((c) => [c[1], c[3]]);
    const pending = ((await client.call('XPENDING', key, name, '-', '+', 100_000)) as unknown[][]).map(([id, consumer, , count]) => [
      id,
      consumer,
      count,
    ]);
    perGroup.push({ group: g, consumers, pending });
  }
  return {
    length: m.get('length'),
    lastId: m.get('last-generated-id'),
    maxDeleted: m.get('max-deleted-entry-id'),
    entriesAdded: m.get('entries-added'),
    firstId: m.get('recorded-first-entry-id'),
    perGroup,
  };
}

describe('struct mode: big keys by type, in chunks', () => {
  let source: RedisServer;
  let target: RedisServer;

  before(async () => {
    [source, target] = await Promise.all([
      startRedis({ aclUsers: [{ name: 'no-memory', password: 'pw', rules: '~* &* +@all -memory' }] }),
      startRedis(),
    ]);
    const s = source.client();
    await seedBigKeys(s, 50, 200_000);
    await s.pexpire(BIG.hash, 3_600_000);
    await s.pexpire(BIG.string, 7_200_000);
    await s.set('small:string', 'v');
    await s.hset('small:hash', 'a', '1', 'b', '2');
    await s.rpush('small:list', 'x', 'y');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it(`copies 50 MB keys of each type and a 200k-entry stream identically, the worker's RSS staying within ${RSS_BOUND / MB} MB of idle`, async () => {
    // Prepare: watch the target while the worker copies: a reader must never see part of a key.
    const t = target.client();
    await t.flushall();
    const seen: number[][] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.push(await lengths(t));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    // Act
    const { report, code } = await runWorker({
      sourcePort: source.port,
      targetPort: target.port,
      thresholdBytes: THRESHOLD,
      chunkBytes: MB,
      mode: 'route',
    });
    watching = false;
    await watcher;
    // Assess: routing by probed size, every key copied.
    assert.equal(code, 0);
    assert.ok(report);
    assert.equal(report.probeMethod, 'memory-usage');
    for (const r of report.results) {
      assert.equal(r.route, r.key.startsWith('big:') ? 'struct' : 'restore', `${r.key} probed at ${r.probed} bytes`);
      assert.equal(r.status, 'copied', r.key);
    }
    const struct = report.results.filter((r) => r.route === 'struct');
    assert.equal(struct.length, 6);
    assert.ok(
      struct.every((r) => (r.chunks ?? 0) > 5),
      'each big key took several chunks',
    );
    // Memory: the bound, independent of the 50 MB key size.
    const growth = report.maxRss - report.baseline.rss;
    const line = struct.map((r) => `${r.key} ${(r.bytes / MB).toFixed(1)} MB in ${r.chunks} chunks ${r.ms.toFixed(0)} ms`).join('; ');
    console.log(
      `worker RSS +${(growth / MB).toFixed(1)} MB over ${(report.baseline.rss / MB).toFixed(1)} MB idle; copy ${report.copyMs.toFixed(0)} ms: ${line}`,
    );
    assert.ok(growth < RSS_BOUND, `worker RSS grew ${(growth / MB).toFixed(1)} MB`);
    // No reader saw half a key: each length is 0 (absent) or the final one.
    const final = await lengths(t);
    for (const sample of seen) {
      for (const [i, n] of sample.entries())
        assert.ok(n === 0 || n === final[i], `saw length ${n} of ${Object.values(BIG)[i]} (final ${final[i]})`);
    }
    // Identical: types, members, exact scores, ids, TTLs (and nothing else on the target, no temp keys).
    await assertSameData(source.client(), t);
    assert.deepEqual(await streamShape(t, BIG.stream), await streamShape(source.client(), BIG.stream));
    assert.deepEqual(await t.zrange(BIG.zset, '0', '1', 'WITHSCORES'), await source.client().zrange(BIG.zset, '0', '1', 'WITHSCORES'));
    const notCarried = report.results.find((r) => r.key === BIG.stream)?.notCarried;
    assert.deepEqual(notCarried, { 'stream-consumer-seen-time': 4 });
  });

  it('the control: the same instrument sees a worker that DUMPs those keys whole go past the bound', async () => {
    await target.client().flushall();
    const { report, code } = await runWorker({
      sourcePort: source.port,
      targetPort: target.port,
      thresholdBytes: THRESHOLD,
      chunkBytes: MB,
      mode: 'dump',
      keys: [BIG.hash, BIG.zset, BIG.list],
    });
    assert.equal(code, 0);
    const growth = report!.maxRss - report!.baseline.rss;
    console.log(`control (DUMP + RESTORE whole): worker RSS +${(growth / MB).toFixed(1)} MB`);
    assert.ok(growth > RSS_BOUND, `DUMP of three 50 MB keys grew RSS by only ${(growth / MB).toFixed(1)} MB`);
  });

  it('a worker killed mid-key leaves the old value in place and an expiring temp key; the next attempt copies the key', async () => {
    // Prepare: the target holds an older value under the name.
    const t = target.client();
    await t.flushall();
    await t.set(BIG.hash, 'old value');
    // Act: SIGKILL after a few chunks have been written.
    let chunks = 0;
    const { signal } = await runWorker(
      {
        sourcePort: source.port,
        targetPort: target.port,
        thresholdBytes: THRESHOLD,
        chunkBytes: MB,
        mode: 'route',
        keys: [BIG.hash],
        printChunks: true,
      },
      (line, kill) => {
        if (line.startsWith('chunk') && ++chunks === 5) kill();
      },
    );
    // Assess
    assert.equal(signal, 'SIGKILL');
    assert.equal(await t.get(BIG.hash), 'old value');
    const temps = await t.keys(`${DEFAULT_TEMP_PREFIX}*`);
    assert.equal(temps.length, 1);
    const tempTtl = await t.pttl(temps[0]!);
    assert.ok(tempTtl > 0 && tempTtl <= 3_600_000, `temp key TTL ${tempTtl}`);
    assert.ok((await t.hlen(temps[0]!)) > 0);

    const result = await copyKeyByType(source.client(), t, Buffer.from(BIG.hash), { replace: true });
    assert.equal(result.status, 'copied');
    assert.equal(await t.type(BIG.hash), 'hash');
    assert.equal(await t.hlen(BIG.hash), await source.client().hlen(BIG.hash));
    const ttl = await t.pttl(BIG.hash);
    assert.ok(Math.abs(ttl - (await source.client().pttl(BIG.hash))) < 1000);

    // The orphan is fresh, so a default cleanup keeps it; minIdleMs 0 removes it.
    assert.deepEqual(await cleanupTempKeys(t), { found: 1, removed: 0, kept: 1 });
    assert.deepEqual(await cleanupTempKeys(t, { minIdleMs: 0 }), { found: 1, removed: 1, kept: 0 });
    assert.deepEqual(await t.keys(`${DEFAULT_TEMP_PREFIX}*`), []);
  });

  it('estimates sizes from lengths and samples when MEMORY USAGE is refused', async () => {
    // Prepare: a user without the MEMORY command (as on many managed services).
    const restricted = source.client({ username: 'no-memory', password: 'pw' });
    const probe = new SizeProbe(restricted);
    const keys = [BIG.hash, BIG.zset, BIG.list, BIG.string, BIG.set, BIG.stream, 'small:string', 'small:hash', 'small:list', 'absent'].map(
      (k) => Buffer.from(k),
    );
    // Act
    const sizes = await probe.probe(keys);
    // Assess
    assert.equal(probe.method, 'estimate');
    for (const { key, bytes } of sizes.slice(0, 6)) assert.ok(bytes! > THRESHOLD, `${key} estimated at ${bytes}`);
    for (const { key, bytes } of sizes.slice(6, 9)) assert.ok(bytes! < 1024, `${key} estimated at ${bytes}`);
    assert.equal(sizes[9]!.bytes, null);
    const exact = await new SizeProbe(source.client()).probe([Buffer.from(BIG.string)]);
    assert.equal(exact[0]!.method, 'memory-usage');
  });
});

describe('struct mode: statuses and stream details', () => {
  let source: RedisServer;
  let target: RedisServer;
  let s: Redis;
  let t: Redis;

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    s = source.client();
    t = target.client();
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it('keeps a key the target has when not replacing, and reports keys gone or expiring', async () => {
    await s.hset('h', 'f', 'source');
    await t.hset('h', 'f', 'target');
    assert.equal((await copyKeyByType(s, t, Buffer.from('h'), { replace: false })).status, 'existing');
    assert.equal(await t.hget('h', 'f'), 'target');
    assert.equal((await copyKeyByType(s, t, Buffer.from('absent'), { replace: true })).status, 'gone');
    assert.equal((await copyKeyByType(s, t, Buffer.from('h'), { replace: true, ttlMs: 1 })).status, 'expired');
    const copied = await copyKeyByType(s, t, Buffer.from('h'), { replace: true });
    assert.equal(copied.status, 'copied');
    assert.equal(copied.chunks, 1, 'a small key is one MULTI');
    assert.equal(await t.hget('h', 'f'), 'source');
  });

  it('keeps the binary key name, empty values and tiny chunks exact', async () => {
    const key = Buffer.from([0xff, 0x00, 0x7b, 0x7d, 0x80]);
    await s.rpush(key, Buffer.from([0]), '', Buffer.from([0xc3, 0x28]));
    await s.set('empty', '');
    for (const k of [key, Buffer.from('empty')])
      assert.equal((await copyKeyByType(s, t, k, { replace: true, chunkSize: 1, chunkBytes: 1 })).status, 'copied');
    assert.deepEqual(await t.lrangeBuffer(key, 0, -1), await s.lrangeBuffer(key, 0, -1));
    assert.equal(await t.get('empty'), '');
  });

  it('copies empty streams, with and without groups, and counts pending entries whose message was deleted', async () => {
    // Prepare: one stream emptied by XDEL with a group; one made by MKSTREAM, group destroyed.
    await s.xadd('emptied', '5-1', 'a', '1');
    await s.xgroup('CREATE', 'emptied', 'g', '0');
    await s.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 'emptied', '>');
    await s.xdel('emptied', '5-1');
    await s.xgroup('CREATE', 'bare', 'tmp', '$', 'MKSTREAM');
    await s.xgroup('DESTROY', 'bare', 'tmp');
    // Act
    const emptied = await copyKeyByType(s, t, Buffer.from('emptied'), { replace: true });
    const bare = await copyKeyByType(s, t, Buffer.from('bare'), { replace: true });
    // Assess
    assert.equal(emptied.status, 'copied');
    assert.equal(bare.status, 'copied');
    assert.deepEqual(emptied.notCarried, { 'stream-consumer-seen-time': 1, 'stream-pending-deleted-entry': 1 });
    for (const key of ['emptied', 'bare']) {
      assert.deepEqual(await t.xinfo('STREAM', key), await s.xinfo('STREAM', key));
    }
    const groups = (await t.xinfo('GROUPS', 'emptied')) as unknown[][];
    assert.deepEqual(
      groups.map((g) => [g[1], g[5], g[7]]),
      [['g', 0, '5-1']],
      'group, pending 0 (not carried), last-delivered-id',
    );
  });

  it("leaves consumers and pending entries out with streamPending 'skip', and counts them", async () => {
    await s.xadd('jobs', '1-1', 'a', '1');
    await s.xadd('jobs', '1-2', 'a', '2');
    await s.xgroup('CREATE', 'jobs', 'g', '0');
    await s.xreadgroup('GROUP', 'g', 'c1', 'COUNT', 1, 'STREAMS', 'jobs', '>');
    await s.xreadgroup('GROUP', 'g', 'c2', 'COUNT', 1, 'STREAMS', 'jobs', '>');
    const result = await copyKeyByType(s, t, Buffer.from('jobs'), { replace: true, streamPending: 'skip' });
    assert.deepEqual(result.notCarried, { 'stream-consumers': 2, 'stream-pending': 2 });
    assert.deepEqual(await t.xpending('jobs', 'g'), [0, null, null, null]);
    assert.deepEqual(await t.xrange('jobs', '-', '+'), await s.xrange('jobs', '-', '+'));
  });
});
