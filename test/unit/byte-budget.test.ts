import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBudget } from '../../src/core/byte-budget.js';

/** True once `promise` has settled, after letting pending callbacks run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('Class: ByteBudget', () => {
  it('grants what fits at once and makes the rest wait for a release', async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(60);
    const second = budget.acquire(60);
    assert.equal(await isSettled(second), false, '60 + 60 exceeds 100');
    budget.release(60);
    assert.equal(await isSettled(second), true);
    assert.equal(budget.inUse, 60);
    assert.equal(budget.peak, 60);
  });

  it('serves waiters in order: a small request does not pass a big one queued before it', async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(90);
    const big = budget.acquire(50);
    const small = budget.acquire(5);
    assert.equal(await isSettled(small), false, '5 would fit, but 50 asked first');
    budget.release(90);
    assert.equal(await isSettled(big), true);
    assert.equal(await isSettled(small), true);
    assert.equal(budget.inUse, 55);
  });

  it('grants a request larger than the whole budget once nothing else is held', async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(10);
    const huge = budget.acquire(500);
    assert.equal(await isSettled(huge), false);
    budget.release(10);
    assert.equal(await isSettled(huge), true);
    assert.equal(budget.peak, 500);
  });

  it('take() holds at once, over the limit, and later acquires wait for it', async () => {
    const budget = new ByteBudget(100);
    await budget.acquire(80);
    budget.take(80);
    assert.equal(budget.inUse, 160);
    const next = budget.acquire(1);
    budget.release(80);
    assert.equal(await isSettled(next), true, '80 + 1 fits again');
  });

  it('refuses a budget that is not positive', () => {
    assert.throws(() => new ByteBudget(0), /must be positive/);
  });
});
