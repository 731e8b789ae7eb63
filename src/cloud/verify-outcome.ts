import type { MigrationConfig } from '../core/config.js';
import {
  KEY_DIFFERENCES,
  type KeyDifference,
  type MigrationVerifyResult,
  mergeReports,
  totalDifferences,
  type VerifyLevel,
  type VerifyReport,
} from '../core/verify-report.js';

/**
 * The verify phase's outcome in the cloud, from the units' stored reports: the merged result kept
 * on the migration item, the compact form in the run's summary, and the readable cause of a failed
 * execution. No AWS SDK here.
 */

/** Whether a migration has a verify phase: verify is not `none`, and it writes (not a dry run). */
export function verifiesAfterCopy<C extends Pick<MigrationConfig, 'dryRun' | 'verify'>>(config: C): config is C & { verify: VerifyLevel } {
  return !config.dryRun && config.verify !== 'none';
}

/** Whether the verify phase also walks the target for extra keys: a copy's option; a restore has no source to ask. */
export function checksExtraKeys(config: Pick<MigrationConfig, 'dryRun' | 'verify'> & { extraCheck?: boolean }): boolean {
  return verifiesAfterCopy(config) && config.extraCheck === true;
}

/** Example keys kept per kind of difference, per unit and merged. */
export const VERIFY_EXAMPLES = 5;

/** Largest TTL difference (ms) accepted between source and target, as for `redis-ferry verify`. */
export const VERIFY_TTL_TOLERANCE_MS = 1000;

/**
 * Per-unit reports kept on the migration item. DynamoDB items hold 400 KB: a big cluster's units
 * would not fit, so units with differences come first and the rest are left out (totals cover all).
 */
export const MAX_STORED_UNITS = 100;

export interface VerifiedUnit {
  unitId: string;
  label: string;
  targetDb: number;
  report: VerifyReport;
  /** When the unit's verification started (ISO). */
  startedAt: string;
}

/** The merged result of every unit's verification; `units` in plan order (see MAX_STORED_UNITS). */
export function migrationVerifyResult(
  migrationId: string,
  level: VerifyLevel,
  units: VerifiedUnit[],
  maxMismatches: number,
  nowMs: number,
): MigrationVerifyResult {
  const totals = mergeReports(
    level,
    units.map((u) => u.report),
    VERIFY_EXAMPLES,
  );
  const mismatches = totalDifferences(totals);
  const started = Math.min(nowMs, ...units.map((u) => Date.parse(u.startedAt)).filter(Number.isFinite));
  const differing = units.filter((u) => totalDifferences(u.report) > 0);
  const shown = new Set([...differing, ...units].slice(0, MAX_STORED_UNITS));
  return {
    migrationId,
    level,
    startedAt: new Date(started).toISOString(),
    durationMs: nowMs - started,
    units: units.filter((u) => shown.has(u)).map(({ unitId, label, targetDb, report }) => ({ unitId, label, targetDb, report })),
    totals,
    mismatches,
    maxMismatches,
    passed: mismatches <= maxMismatches,
  };
}

/** The verification as the run's summary (the execution output) shows it: totals, no per-unit lists. */
export interface VerifySummary {
  level: VerifyLevel;
  checked: number;
  skipped: number;
  /** Target keys looked up on the source by the extra-key check (absent when it did not run). */
  targetChecked?: number;
  mismatches: number;
  maxMismatches: number;
  passed: boolean;
  differences: Record<KeyDifference, number>;
  examples: Record<KeyDifference, string[]>;
}

export function verifySummary(result: MigrationVerifyResult): VerifySummary {
  const { level, mismatches, maxMismatches, passed, totals } = result;
  return {
    level,
    checked: totals.checked,
    skipped: totals.skipped,
    ...(totals.targetChecked !== undefined ? { targetChecked: totals.targetChecked } : {}),
    mismatches,
    maxMismatches,
    passed,
    differences: totals.differences,
    examples: totals.examples,
  };
}

/**
 * One line for a failed verification, e.g. `3 keys differ (0 allowed): 1 missing, 2 value; e.g.
 * missing "k:1"; value "k:2", "k:3". …` followed by what was checked and what to do.
 */
export function verificationFailureCause(result: MigrationVerifyResult): string {
  const t = result.totals;
  const kinds = KEY_DIFFERENCES.filter((kind) => t.differences[kind] > 0);
  const counts = kinds.map((kind) => `${t.differences[kind]} ${kind}`).join(', ');
  const examples = kinds
    .filter((kind) => t.examples[kind].length > 0)
    .map((kind) => `${kind} ${t.examples[kind].join(', ')}`)
    .join('; ');
  const subject = result.mismatches === 1 ? '1 key differs' : `${result.mismatches} keys differ`;
  return (
    `${subject} (${result.maxMismatches} allowed): ${counts}${examples ? `; e.g. ${examples}` : ''}. ` +
    `Migration ${result.migrationId} was verified (${result.level}) after a complete copy: ` +
    `${t.checked} keys checked, ${t.skipped} skipped (deleted or expiring meanwhile)` +
    `${t.targetChecked !== undefined ? `, ${t.targetChecked} target keys looked up on the source` : ''}. ` +
    `Fix the target (or raise maxMismatches), then start the migration again with the ` +
    `same migrationId: it verifies again without copying again`
  );
}
