import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/core/rate-limiter.js';

describe('Class: RateLimiter', () => {
  it('allows a burst of one second, then paces to the rate', async () => {
    // Prepare: a manual clock, and a sleep that advances it.
    let now = 0;
    const sleeps: number[] = [];
    const limiter = new RateLimiter(
      100,
      () => now,
      async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    );
    // Act
    await limiter.take(100);
    await limiter.take(50);
    await limiter.take(50);
    // Assess: the burst is free, then 50 keys cost 0.5 s each.
    assert.deepEqual(sleeps, [500, 500]);
  });
});
