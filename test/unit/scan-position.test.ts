import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanPosition, scanProgress } from '../../src/core/scan-position.js';
import { fakeCursor } from './fakes.js';

describe('Function: scanPosition', () => {
  it('orders cursors the way SCAN visits them (bit-reversed)', () => {
    // Redis' cursor after bucket 0 of a 4-bucket table is 2 (0b10 reversed is 0b01 at the top).
    assert.ok(scanPosition('2') < scanPosition('1'));
    assert.ok(scanPosition(fakeCursor(1)) < scanPosition(fakeCursor(2)));
  });

  it("treats '0' as the start, or as the end when SCAN returned it", () => {
    assert.equal(scanPosition('0'), 0n);
    assert.equal(scanPosition('0', true), 1n << 64n);
  });

  it('handles cursors above 2^53 exactly', () => {
    assert.equal(scanPosition('18446744073709551615'), (1n << 64n) - 1n);
  });
});

describe('Function: scanProgress', () => {
  it('estimates the fraction walked from the cursor', () => {
    assert.equal(scanProgress('0', false), 0);
    assert.equal(scanProgress('0', true), 1);
    assert.equal(scanProgress('1', false), 0.5); // lowest bit set = top bit of the reversed value
    assert.equal(scanProgress('3', false), 0.75);
  });
});
