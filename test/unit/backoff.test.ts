import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../../src/core/backoff.js';

describe('Function: backoffDelay', () => {
  it('doubles from the first delay and stops at the cap', () => {
    const policy = { initialMs: 500, maxMs: 30_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffDelay(attempt, policy)),
      [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
    );
  });

  it('stays at the cap however many attempts were made, and treats attempt 0 as the first', () => {
    const policy = { initialMs: 50, maxMs: 2_000 };
    assert.equal(backoffDelay(10_000, policy), 2_000);
    assert.equal(backoffDelay(0, policy), 50);
  });

  it('jitters within the random share of the delay', () => {
    const policy = { initialMs: 500, maxMs: 30_000, jitter: 0.5 };
    assert.equal(
      backoffDelay(3, policy, () => 0),
      1_000,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      1_500,
    );
    assert.equal(
      backoffDelay(3, policy, () => 1),
      2_000,
    );
  });
});
