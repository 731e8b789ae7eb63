import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadResult } from '../../src/core/contracts.js';
import { mergeReads, readPaced } from '../../src/core/paced-read.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { keys } from './fakes.js';

function manualLimiter(perSecond: number) {
  const clock = { now: 0 };
  const limiter = new RateLimiter(
    perSecond,
    () => clock.now,
    async (ms) => {
      clock.now += ms;
    },
  );
  return { clock, limiter };
}

const recordsOf = (list: Buffer[]): ReadResult => ({
  records: list.map((key) => ({ key, payload: key, pttlMs: 0, readAtMs: 0 })),
  gone: 0,
});

describe('Function: readPaced', () => {
  it('reads a page larger than the largest grant slice by slice, each slice once its keys are granted', async () => {
    // Prepare: 2,000 keys/s grants 100 keys at most, 50 ms apart; a page of 250 keys, every 5th filtered out.
    const { clock, limiter } = manualLimiter(2000);
    const page = keys(250);
    const kept = page.filter((_, i) => i % 5 !== 0);
    const calls: { at: number; keys: number }[] = [];
    // Act
    const { read } = await readPaced(limiter, page, kept, async (list) => {
      calls.push({ at: clock.now, keys: list.length });
      return recordsOf(list);
    });
    const result = await read;
    // Assess: slices of 100, 100 and 50 scanned keys (80, 80, 40 kept), read at 50, 100 and 125 ms.
    assert.deepEqual(calls, [
      { at: 50, keys: 80 },
      { at: 100, keys: 80 },
      { at: 125, keys: 40 },
    ]);
    assert.deepEqual(
      result.records.map((r) => r.key.toString()),
      kept.map(String),
    );
  });

  it('takes tokens for a slice whose keys are all filtered out, and reads nothing for it', async () => {
    const { clock, limiter } = manualLimiter(2000);
    const page = keys(150);
    const kept = page.slice(100);
    let reads = 0;
    const { read } = await readPaced(limiter, page, kept, async (list) => {
      reads++;
      return recordsOf(list);
    });
    assert.equal((await read).records.length, 50);
    assert.equal(reads, 1);
    assert.equal(clock.now, 75);
  });
});

describe('Function: mergeReads', () => {
  it('hands out the first parts together, then each read’s remaining parts in turn, and releases every first part', async () => {
    const released: string[] = [];
    const part = (name: string, rest?: () => Promise<ReadResult>): ReadResult => ({
      ...recordsOf([Buffer.from(name)]),
      release: () => released.push(name),
      ...(rest ? { rest } : {}),
    });
    const merged = await mergeReads([
      Promise.resolve(part('a1', async () => part('a2', async () => part('a3')))),
      Promise.resolve(part('b1')),
      Promise.resolve(part('c1', async () => part('c2'))),
    ]);
    const names = [merged.records.map((r) => r.key.toString()).join('+')];
    for (let next = merged.rest; next; ) {
      const p = await next();
      names.push(p.records.map((r) => r.key.toString()).join('+'));
      next = p.rest;
    }
    assert.deepEqual(names, ['a1+b1+c1', 'a2', 'a3', 'c2']);
    merged.release?.();
    assert.deepEqual(released, ['a1', 'b1', 'c1']);
  });

  it('fails with the first failed read and gives back the bytes of the reads that succeeded', async () => {
    const released: string[] = [];
    const ok = (name: string): Promise<ReadResult> => Promise.resolve({ ...recordsOf([]), release: () => released.push(name) });
    await assert.rejects(mergeReads([ok('a'), Promise.reject(new Error('DUMP failed')), ok('c')]), /DUMP failed/);
    assert.deepEqual(released, ['a', 'c']);
  });
});
