/**
 * What a verification found, per unit and per migration, in the form every side shares: the
 * verifier (src/verify) fills it, the stores keep it (file, DynamoDB), the cloud summarizes it and
 * the CLI prints it (src/cli/verify-summary.ts). Plain data and arithmetic, nothing else.
 */

export type VerifyLevel = 'quick' | 'full';
/** How a key differs; `extra`: the target has a key (in the selection) the source does not (src/verify/verify-extra.ts). */
export type KeyDifference = 'missing' | 'type' | 'ttl' | 'value' | 'extra';
export const KEY_DIFFERENCES: readonly KeyDifference[] = ['missing', 'type', 'ttl', 'value', 'extra'];

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
  /** Per unit (source shard × db), with the target db it was compared with; then the extra-key check's target units. */
  units: { unitId: string; label: string; targetDb: number; report: VerifyReport }[];
  totals: VerifyReport;
  mismatches: number;
  /** The threshold: more mismatches than this fail the verification. */
  maxMismatches: number;
  passed: boolean;
}
