import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatVerifyResult } from '../../src/cli/verify-summary.js';
import { emptyReport, type MigrationVerifyResult, mergeReports, totalDifferences } from '../../src/core/verify-report.js';
import { parseScore } from '../../src/verify/compare-value.js';

describe('Function: mergeReports', () => {
  it('sums counts and keeps at most N examples per kind', () => {
    // Prepare
    const a = emptyReport('full');
    a.checked = 10;
    a.differences.missing = 2;
    a.examples.missing = ['"a"', '"b"'];
    const b = emptyReport('full');
    b.checked = 5;
    b.skipped = 1;
    b.differences.missing = 1;
    b.differences.value = 1;
    b.examples.missing = ['"c"'];
    b.examples.value = ['"d"'];
    // Act
    const merged = mergeReports('full', [a, b], 2);
    // Assess
    assert.equal(merged.checked, 15);
    assert.equal(merged.skipped, 1);
    assert.deepEqual(merged.differences, { missing: 3, type: 0, ttl: 0, value: 1, extra: 0 });
    assert.deepEqual(merged.examples.missing, ['"a"', '"b"']);
    assert.equal(totalDifferences(merged), 4);
  });
});

describe('Function: formatVerifyResult', () => {
  const result = (mismatches: number, maxMismatches: number): MigrationVerifyResult => {
    const totals = emptyReport('quick');
    totals.checked = 100;
    totals.differences.ttl = mismatches;
    totals.examples.ttl = mismatches > 0 ? ['"session:1"'] : [];
    return {
      migrationId: 'm-1',
      level: 'quick',
      startedAt: '',
      durationMs: 1200,
      units: [],
      totals,
      mismatches,
      maxMismatches,
      passed: mismatches <= maxMismatches,
    };
  };

  it('says all identical when nothing differs', () => {
    assert.match(formatVerifyResult(result(0, 0)), /100 keys checked .*all identical/);
  });

  it('names the kind of difference with an example, and the threshold', () => {
    const text = formatVerifyResult(result(2, 0));
    assert.match(text, /FAILED: 2 mismatch\(es\), 0 allowed/);
    assert.match(text, /TTL differs\s+2\s+e\.g\. "session:1"/);
  });

  it('passes under the threshold', () => {
    assert.match(formatVerifyResult(result(2, 5)), /passed \(2 ≤ 5 allowed\)/);
  });
});

describe('Function: parseScore', () => {
  it('reads the scores Redis prints to the exact double, infinities included', () => {
    assert.equal(parseScore('0.10000000000000001'), 0.1);
    assert.equal(parseScore('inf'), Number.POSITIVE_INFINITY);
    assert.equal(parseScore('-inf'), Number.NEGATIVE_INFINITY);
    assert.equal(parseScore('1.7976931348623157e+308'), Number.MAX_VALUE);
  });
});
