import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addCounters, subtractCounters, sumCounters, type UnitCounters, ZERO_COUNTERS } from '../../src/core/contracts.js';

const counters = (values: Partial<UnitCounters>): UnitCounters => ({ ...ZERO_COUNTERS, ...values });

describe('Function: sumCounters', () => {
  it('adds every counter of every unit, field by field', () => {
    // Prepare
    const a = counters({ scanned: 10, copied: 7, bytes: 700, batches: 2, notCopied: 1 });
    const b = counters({ scanned: 5, copied: 5, recopied: 2, skippedGone: 1, bigKeys: 1, batches: 1 });
    // Act
    const total = sumCounters([a, b]);
    // Assess
    assert.deepEqual(
      total,
      counters({ scanned: 15, copied: 12, recopied: 2, skippedGone: 1, bytes: 700, bigKeys: 1, notCopied: 1, batches: 3 }),
    );
    assert.deepEqual(a, counters({ scanned: 10, copied: 7, bytes: 700, batches: 2, notCopied: 1 }), 'the inputs are left alone');
  });

  it('gives zeros for no units', () => {
    assert.deepEqual(sumCounters([]), ZERO_COUNTERS);
  });
});

describe('Function: addCounters', () => {
  it('adds into the first argument and returns it', () => {
    // Prepare
    const running = counters({ copied: 3, bytes: 30 });
    // Act
    const returned = addCounters(running, counters({ copied: 2, bytes: 20, batches: 1 }));
    // Assess
    assert.equal(returned, running);
    assert.deepEqual(running, counters({ copied: 5, bytes: 50, batches: 1 }));
  });
});

describe('Function: subtractCounters', () => {
  it('gives what was counted since an earlier snapshot', () => {
    // Act
    const since = subtractCounters(counters({ scanned: 15, copied: 12, batches: 3 }), counters({ scanned: 10, copied: 7, batches: 2 }));
    // Assess
    assert.deepEqual(since, counters({ scanned: 5, copied: 5, batches: 1 }));
  });
});
