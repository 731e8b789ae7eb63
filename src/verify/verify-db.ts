import type { Redis } from 'ioredis';
import { formatKey } from '../core/key-format.js';
import { type CompareOptions, compareKey, type KeyDifference } from './compare-key.js';

export interface VerifyReport {
  checked: number;
  differences: Record<KeyDifference, number>;
  /** Up to `maxExamples` keys per kind of difference, formatted for humans. */
  examples: Record<KeyDifference, string[]>;
}

export interface VerifyDbOptions extends CompareOptions {
  count?: number;
  maxExamples?: number;
}

/**
 * Walks the source db with SCAN and compares each key with the target (see compare-key.ts).
 * Keys that vanish from the source meanwhile are not differences: a live source keeps changing.
 */
export async function verifyDb(source: Redis, target: Redis, options: VerifyDbOptions): Promise<VerifyReport> {
  const report: VerifyReport = {
    checked: 0,
    differences: { missing: 0, type: 0, ttl: 0, value: 0 },
    examples: { missing: [], type: [], ttl: [], value: [] },
  };
  const maxExamples = options.maxExamples ?? 5;
  let cursor = '0';
  do {
    const [next, keys] = (await source.callBuffer('SCAN', [cursor, 'COUNT', options.count ?? 500])) as [Buffer, Buffer[]];
    cursor = next.toString();
    const results = await Promise.all(keys.map((key) => compareKey(source, target, key, options)));
    results.forEach((difference, i) => {
      report.checked++;
      if (!difference) return;
      report.differences[difference]++;
      if (report.examples[difference].length < maxExamples) report.examples[difference].push(formatKey(keys[i]!));
    });
  } while (cursor !== '0');
  return report;
}

export function totalDifferences(report: VerifyReport): number {
  return Object.values(report.differences).reduce((a, b) => a + b, 0);
}
