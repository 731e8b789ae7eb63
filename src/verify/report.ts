import { formatCount, formatDuration } from '../cli/format.js';
import { KEY_DIFFERENCES, type KeyDifference, type VerifyLevel } from './compare-key.js';

/** What one verification found, for one unit or summed over a migration. */
export interface VerifyReport {
  level: VerifyLevel;
  /** Source keys compared (judged equal or different). */
  checked: number;
  /** Source keys not judged: deleted, or about to expire, while they were checked. */
  skipped: number;
  /** Target keys looked up on the source by the extra-key check (absent when it did not run). */
  targetChecked?: number;
  differences: Record<KeyDifference, number>;
  /** Up to `maxExamples` keys per kind of difference, formatted for humans. */
  examples: Record<KeyDifference, string[]>;
}

export function emptyReport(level: VerifyLevel): VerifyReport {
  return {
    level,
    checked: 0,
    skipped: 0,
    differences: { missing: 0, type: 0, ttl: 0, value: 0, extra: 0 },
    examples: { missing: [], type: [], ttl: [], value: [], extra: [] },
  };
}

// Reports stored before a kind existed (DynamoDB, verify.json) lack it: read as none.
export function totalDifferences(report: VerifyReport): number {
  return KEY_DIFFERENCES.reduce((n, kind) => n + (report.differences[kind] ?? 0), 0);
}

export function mergeReports(level: VerifyLevel, reports: VerifyReport[], maxExamples: number): VerifyReport {
  const out = emptyReport(level);
  for (const r of reports) {
    out.checked += r.checked;
    out.skipped += r.skipped;
    if (r.targetChecked !== undefined) out.targetChecked = (out.targetChecked ?? 0) + r.targetChecked;
    for (const kind of KEY_DIFFERENCES) {
      out.differences[kind] += r.differences[kind] ?? 0;
      for (const example of r.examples[kind] ?? []) if (out.examples[kind].length < maxExamples) out.examples[kind].push(example);
    }
  }
  return out;
}

/** One migration's verification, as stored with it and printed. */
export interface MigrationVerifyResult {
  migrationId: string;
  level: VerifyLevel;
  startedAt: string;
  durationMs: number;
  /** Per unit (source shard × db), with the target db it was compared with. */
  units: { unitId: string; label: string; targetDb: number; report: VerifyReport }[];
  totals: VerifyReport;
  mismatches: number;
  /** The threshold: more mismatches than this fail the verification. */
  maxMismatches: number;
  passed: boolean;
}

const LABELS: Record<KeyDifference, string> = {
  missing: 'missing',
  type: 'other type',
  ttl: 'TTL differs',
  value: 'value differs',
  extra: 'extra',
};

export function formatVerifyResult(result: MigrationVerifyResult): string {
  const t = result.totals;
  const verdict = result.passed
    ? result.mismatches === 0
      ? 'all identical'
      : `passed (${formatCount(result.mismatches)} ≤ ${formatCount(result.maxMismatches)} allowed)`
    : `FAILED: ${formatCount(result.mismatches)} mismatch(es), ${formatCount(result.maxMismatches)} allowed`;
  const lines = [
    `Verify (${result.level}) ${result.migrationId}: ${formatCount(t.checked)} keys checked in ${formatDuration(result.durationMs)}: ${verdict}`,
  ];
  if (t.targetChecked !== undefined)
    lines.push(`  and ${formatCount(t.targetChecked)} target keys looked up on the source (extra: on the target only)`);
  for (const kind of KEY_DIFFERENCES) {
    if (!t.differences[kind]) continue;
    lines.push(`  ${LABELS[kind].padEnd(13)} ${formatCount(t.differences[kind]).padStart(8)}  e.g. ${t.examples[kind].join(', ')}`);
  }
  if (t.skipped > 0) lines.push(`  skipped ${formatCount(t.skipped)} key(s) deleted or expiring on the source while checked`);
  if (result.units.length > 1) {
    for (const u of result.units) {
      // A target unit (the extra-key check) looks target keys up; its label names its db.
      const { targetChecked } = u.report;
      const what =
        targetChecked === undefined
          ? ` → db${u.targetDb}: ${formatCount(u.report.checked)} checked`
          : `: ${formatCount(targetChecked)} target keys checked`;
      lines.push(`  unit ${u.label}${what}, ${formatCount(totalDifferences(u.report))} mismatch(es)`);
    }
  }
  return lines.join('\n');
}
