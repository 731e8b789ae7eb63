import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { ByteBudget } from '../../src/core/byte-budget.js';
import { noFilter } from '../../src/core/config.js';
import { newCheckpoint, type ReadResult } from '../../src/core/contracts.js';
import { copyUnit } from '../../src/core/copy-unit.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { RedisKeySink } from '../../src/redis/key-sink.js';
import { type ReadOptions, RedisKeySource } from '../../src/redis/key-source.js';
import { RespPipe } from '../../src/redis/resp-pipe.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

const VALUE_BYTES = 96 * 1024;
const LARGE_VALUES = 48;
const SMALL_VALUES = 300;
const passAll = createKeyFilter(noFilter());

/** SCAN batches are counted in keys; these tests check the bytes a read may hold at once. */
describe('Reads bounded in bytes (ByteBudget, RedisKeySource parts)', () => {
  let source: RedisServer;
  let target: RedisServer;
  const pipes: RespPipe[] = [];
  const open = async (server: RedisServer) => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port });
    pipes.push(pipe);
    return pipe;
  };
  /** A source over two connections, as the engine opens it; one SCAN of COUNT 1000 sees every key. */
  const keySource = async (options: ReadOptions) =>
    new RedisKeySource(await open(source), 'source', { count: 1000, adaptive: false, ...options }, undefined, await open(source));

  before(async () => {
    [source, target] = await Promise.all([startRedis(), startRedis()]);
    const client = source.client();
    // Incompressible values: DUMP's LZF would shrink repetitive ones to almost nothing.
    for (let i = 0; i < LARGE_VALUES; i++) await client.set(`large:${i}`, randomBytes(VALUE_BYTES));
    for (let i = 0; i < LARGE_VALUES; i += 4) await client.pexpire(`large:${i}`, 3_600_000);
    const small = client.pipeline();
    for (let i = 0; i < SMALL_VALUES; i++) small.set(`small:${i}`, `value-${i}`);
    await small.exec();
  });
  after(async () => {
    for (const pipe of pipes) pipe.close();
    await Promise.all([source?.stop(), target?.stop()]);
  });
  beforeEach(async () => {
    await target.client().flushall();
  });

  /** Follows a read's parts to the end, releasing each; returns every part's payload bytes and keys. */
  async function readAllParts(first: ReadResult, budget: ByteBudget): Promise<{ bytes: number[]; keys: string[] }> {
    const bytes: number[] = [];
    const keys: string[] = [];
    let part: ReadResult | undefined = first;
    while (part) {
      const partBytes: number = part.records.reduce((n, r) => n + r.payload.length, 0);
      assert.equal(budget.inUse, partBytes, 'a part holds exactly its payload bytes until released');
      bytes.push(partBytes);
      keys.push(...part.records.map((r) => r.key.toString()));
      const rest: ReadResult['rest'] = part.rest;
      part.release?.();
      part.release?.(); // idempotent
      part = rest ? await rest() : undefined;
    }
    assert.equal(budget.inUse, 0);
    return { bytes, keys };
  }

  it('reads a batch of large values in parts of at most maxReadBytes, sized by MEMORY USAGE', async () => {
    const budget = new ByteBudget(1024 * 1024);
    const reader = await keySource({ bigKeyThreshold: 1024 * 1024, maxReadBytes: 256 * 1024, budget });
    const page = await reader.scan('0');
    assert.equal(page.keys.length, LARGE_VALUES + SMALL_VALUES);
    const { bytes, keys } = await readAllParts(await reader.read(page.keys), budget);
    assert.ok(bytes.length >= (LARGE_VALUES * VALUE_BYTES) / (256 * 1024), `read in ${bytes.length} parts`);
    for (const b of bytes) assert.ok(b <= 256 * 1024, `part of ${b} bytes is within 256 KB`);
    assert.deepEqual(keys.sort(), page.keys.map(String).sort(), 'every key was read once');
  });

  it('without the size probe, sizes parts by the mean payload read so far', async () => {
    const budget = new ByteBudget(1024 * 1024);
    const reader = await keySource({ bigKeyThreshold: 0, maxReadBytes: 256 * 1024, budget });
    const page = await reader.scan('0');
    const first = await reader.read(page.keys);
    assert.equal(first.records.length, 16, 'knowing no size yet, the first part is small');
    const { keys } = await readAllParts(first, budget);
    assert.deepEqual(keys.sort(), page.keys.map(String).sort());
  });

  it('copies a unit of large values identically while the budget bounds what is held', async () => {
    const limit = 512 * 1024;
    const cap = 128 * 1024;
    const budget = new ByteBudget(limit);
    const reader = new RedisKeySource(
      await open(source),
      'source',
      { count: 20, adaptive: false, bigKeyThreshold: 1024 * 1024, maxReadBytes: cap, budget },
      undefined,
      await open(source),
    );
    const done = await copyUnit({
      source: reader,
      sink: new RedisKeySink(await open(target), 'target'),
      filter: passAll,
      policy: 'fail',
      store: new MemoryCheckpointStore(),
      checkpoint: newCheckpoint('u'),
    });
    assert.equal(done.status, 'done');
    assert.equal(done.counters.copied, LARGE_VALUES + SMALL_VALUES);
    await assertSameData(source.client(), target.client());
    assert.equal(budget.inUse, 0, 'every part was released');
    // Read-ahead waits for the limit; the part being written and the next one may add to it.
    assert.ok(budget.peak <= limit + 2 * (cap + VALUE_BYTES), `peak ${budget.peak} bytes`);
    assert.ok(budget.peak >= VALUE_BYTES, 'the budget saw the values');
  });

  it('gives back the bytes of batches read ahead when the unit stops early', async () => {
    const budget = new ByteBudget(512 * 1024);
    const reader = new RedisKeySource(
      await open(source),
      'source',
      { count: 10, adaptive: false, bigKeyThreshold: 1024 * 1024, maxReadBytes: 128 * 1024, budget },
      undefined,
      await open(source),
    );
    let batches = 0;
    const stopped = await copyUnit({
      source: reader,
      sink: new RedisKeySink(await open(target), 'target'),
      filter: passAll,
      policy: 'fail',
      store: new MemoryCheckpointStore(),
      checkpoint: newCheckpoint('u'),
      onProgress: (cp) => (batches = cp.counters.batches),
      shouldStop: () => batches >= 2,
    });
    assert.equal(stopped.status, 'running', 'stopped before the end');
    const deadline = Date.now() + 5000;
    while (budget.inUse > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(budget.inUse, 0, 'the batches read ahead and never written were released');
  });
});
