import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisKeySource } from '../../src/redis/key-source.js';
import { RespPipe } from '../../src/redis/resp-pipe.js';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/** A clock on which every SCAN seems to take 10 ms, as over a slow link (or on a busy server). */
function slowClock(): () => number {
  let now = 0;
  return () => (now += 5);
}

describe('Class: RedisKeySource', () => {
  let server: RedisServer;
  const pipes: RespPipe[] = [];
  const open = async () => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port });
    pipes.push(pipe);
    return pipe;
  };

  before(async () => {
    server = await startRedis();
    await seedStrings(server.client(), 20_000, 'k:');
  });
  after(async () => {
    for (const pipe of pipes) pipe.close();
    await server?.stop();
  });

  /** Sizes of the first `n` SCAN pages. */
  async function pageSizes(source: RedisKeySource, n: number): Promise<number[]> {
    const sizes: number[] = [];
    let cursor = '0';
    for (let i = 0; i < n; i++) {
      const page = await source.scan(cursor);
      sizes.push(page.keys.length);
      cursor = page.cursor;
    }
    return sizes;
  }

  it('lets SCAN COUNT grow when SCANs are slow on a distant node', async () => {
    const source = new RedisKeySource(await open(), 'distant', { count: 100, idleRttMs: 20 }, slowClock());
    const sizes = await pageSizes(source, 6);
    assert.ok(sizes[5]! >= 800, `pages grew to about 10× COUNT: ${sizes.join(', ')}`);
  });

  it('lets COUNT grow only 4× on a local node, where a slow SCAN means a busy server', async () => {
    const source = new RedisKeySource(await open(), 'local', { count: 100, idleRttMs: 0.1 }, slowClock());
    const sizes = await pageSizes(source, 6);
    assert.ok(sizes[5]! >= 300 && sizes.every((n) => n <= 500), `pages grew to about 4× COUNT: ${sizes.join(', ')}`);
  });

  it('keeps COUNT as configured when adaptation is turned off', async () => {
    const source = new RedisKeySource(await open(), 'distant', { count: 100, idleRttMs: 20, adaptive: false }, slowClock());
    const sizes = await pageSizes(source, 5);
    assert.ok(
      sizes.every((n) => n <= 150),
      `pages stayed near COUNT: ${sizes.join(', ')}`,
    );
  });

  it('reads DUMP and PTTL on its second connection, skipping keys that are gone', async () => {
    const scanPipe = await open();
    const readPipe = await open();
    const source = new RedisKeySource(scanPipe, 'local', { count: 100 }, undefined, readPipe);
    await server.client().set('ttl:1', 'v', 'PX', 600_000);
    scanPipe.close(); // the reads must not need it
    const read = await source.read([Buffer.from('ttl:1'), Buffer.from('missing:1'), Buffer.from('k:1')]);
    assert.equal(read.gone, 1);
    assert.deepEqual(
      read.records.map((r) => r.key.toString()),
      ['ttl:1', 'k:1'],
    );
    assert.ok(read.records[0]!.pttlMs > 590_000 && read.records[1]!.pttlMs === 0);
    assert.deepEqual(read.records[1]!.payload, await server.client().dumpBuffer('k:1'));
  });
});
