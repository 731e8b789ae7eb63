import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { busiestWindow, type Grant } from '../helpers/rate-window.js';

/** A manual clock whose sleep advances it, optionally waking `early` ms before it was asked to. */
function manualClock(early = 0) {
  const clock = { now: 0, sleeps: [] as number[] };
  const sleep = async (ms: number) => {
    clock.sleeps.push(ms);
    clock.now += Math.max(ms - early, 0.5);
  };
  return { clock, now: () => clock.now, sleep };
}

describe('Class: RateLimiter', () => {
  it('holds the rate over every 5 s window, under a real clock, with several consumers taking at once', async () => {
    // Prepare: 3,000 keys/s shared by three consumers that take 1..150 keys at a time (like SCAN pages
    // sliced to the limiter's largest grant), about 7 s of work, so that many 5 s windows exist.
    const rate = 3000;
    const limiter = new RateLimiter(rate);
    const grants: Grant[] = [];
    const consumer = async (seed: number) => {
      let left = 7000;
      for (let i = seed; left > 0; i++) {
        const keys = Math.min(left, 1 + ((i * 7919) % 150));
        await limiter.take(keys);
        grants.push({ at: performance.now(), keys });
        left -= keys;
      }
    };
    // Act
    await Promise.all([consumer(1), consumer(2), consumer(3)]);
    // Assess: a slower machine only spreads the grants out, so this bound cannot flake.
    const busiest = busiestWindow(grants, 5000);
    assert.ok(busiest <= 1.02 * rate * 5, `busiest 5 s window held ${busiest} keys, over ${1.02 * rate * 5}`);
    assert.equal(
      grants.reduce((n, g) => n + g.keys, 0),
      21000,
    );
  });

  it('starts empty, then grants each take once its keys have accrued', async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = new RateLimiter(1000, now, sleep);
    assert.equal(limiter.maxTake, 50, '50 ms of the rate');
    await limiter.take(50);
    assert.equal(clock.now, 50);
    await limiter.take(10);
    assert.equal(clock.now, 60);
  });

  it('lets no more than 50 ms of keys accrue while idle', async () => {
    const { clock, now, sleep } = manualClock();
    const limiter = new RateLimiter(1000, now, sleep);
    clock.now = 10_000; // idle for 10 s
    await limiter.take(50);
    await limiter.take(50);
    // The first take is granted at once (50 ms accrued at most), the second waits its own 50 ms.
    assert.equal(clock.now, 10_050);
  });

  it('looks again when a sleep wakes early, never granting before the keys have accrued', async () => {
    const { clock, now, sleep } = manualClock(30);
    const limiter = new RateLimiter(1000, now, sleep);
    await limiter.take(50);
    assert.ok(clock.now >= 50, `granted at ${clock.now} ms`);
    assert.ok(clock.sleeps.length >= 2, 'slept again after waking early');
  });

  it('serves concurrent takes first come, first served', async () => {
    const { now, sleep } = manualClock();
    const limiter = new RateLimiter(100, now, sleep);
    const order: string[] = [];
    await Promise.all([
      limiter.take(5).then(() => order.push('a')),
      limiter.take(1).then(() => order.push('b')),
      limiter.take(3).then(() => order.push('c')),
    ]);
    assert.deepEqual(order, ['a', 'b', 'c']);
  });

  it('refuses a take larger than its largest grant, and a rate that is not positive', () => {
    const limiter = new RateLimiter(2000);
    assert.throws(() => limiter.take(101), /exceeds the limiter's largest grant, 100 keys/);
    assert.throws(() => new RateLimiter(0), RangeError);
  });
});
