import type { MigrationConfig } from '../core/config.js';
import type { TargetUnitDescriptor, UnitDescriptor } from '../core/contracts.js';
import { createKeyFilter, type KeyFilter } from '../core/key-filter.js';
import {
  emptyReport,
  type MigrationVerifyResult,
  mergeReports,
  totalDifferences,
  type VerifyLevel,
  type VerifyReport,
} from '../core/verify-report.js';
import type { OpenVerifyClients } from './connections.js';
import { verifyScan } from './verify-db.js';
import { openExtraCheck, verifyExtraScan } from './verify-extra.js';

export interface VerifyMigrationOptions {
  config: MigrationConfig;
  migrationId: string;
  level: VerifyLevel;
  /** @default 1000 */
  ttlToleranceMs?: number;
  /** Example keys per kind of difference. @default 5 */
  maxExamples?: number;
  /** More mismatches than this fail the verification. @default 0 */
  maxMismatches?: number;
  /** Keys above this size are compared chunk by chunk, never DUMPed. @default 16 MiB */
  bigKeyBytes?: number;
  /** The units to verify: the migration's plan (see src/runner/verify-scope.ts for `verify` on its own). */
  units: UnitDescriptor[];
  /**
   * The target units walked for keys only the target has (the plan's, see planTargetUnits); none or
   * absent: no extra-key check.
   */
  targetUnits?: TargetUnitDescriptor[];
  /** How a unit's clients are opened (topology seam), e.g. nodeClients(config, target.kind). */
  open: OpenVerifyClients;
  shouldStop?: () => boolean;
  /** After each unit (source units, then target units). */
  onUnit?: (unit: UnitDescriptor | TargetUnitDescriptor, report: VerifyReport) => void;
}

/**
 * Verifies a migration: every unit (source shard × db) against its target db, with the copy's own
 * SCAN MATCH/TYPE and key filters, one unit after the other; then every target unit given
 * for keys the source does not have. Used by `redis-ferry verify`, and by the runner after a copy;
 * the state machine calls verifyScan and verifyExtraScan per unit with a deadline instead.
 */
export async function verifyMigration(options: VerifyMigrationOptions): Promise<MigrationVerifyResult> {
  const { config, level, units, open } = options;
  const targetUnits = options.targetUnits ?? [];
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const maxExamples = options.maxExamples ?? 5;
  const filter = createKeyFilter(config.filter);
  const results: MigrationVerifyResult['units'] = [];
  for (const unit of units) {
    if (options.shouldStop?.()) break;
    const clients = await open(unit);
    try {
      const { report } = await verifyScan(clients.source, clients.target, {
        readers: clients.readers,
        level,
        ttlToleranceMs: options.ttlToleranceMs ?? 1000,
        bigKeyBytes: options.bigKeyBytes,
        maxExamples,
        count: Math.min(config.scan.count, 1000),
        match: config.scan.match,
        type: config.scan.type,
        filter,
        shouldStop: options.shouldStop,
        report: emptyReport(level),
      });
      results.push({ unitId: unit.id, label: unit.label, targetDb: unit.targetDb, report });
      options.onUnit?.(unit, report);
    } finally {
      await clients.close();
    }
  }
  for (const unit of targetUnits) {
    if (options.shouldStop?.()) break;
    const report = await verifyTargetUnit(options, unit, filter, maxExamples);
    results.push({ unitId: unit.id, label: unit.label, targetDb: unit.targetDb, report });
    options.onUnit?.(unit, report);
  }
  const totals = mergeReports(
    level,
    results.map((u) => u.report),
    maxExamples,
  );
  const mismatches = totalDifferences(totals);
  const maxMismatches = options.maxMismatches ?? 0;
  return {
    migrationId: options.migrationId,
    level,
    startedAt,
    durationMs: performance.now() - started,
    units: results,
    totals,
    mismatches,
    maxMismatches,
    passed: mismatches <= maxMismatches && results.length === units.length + targetUnits.length,
  };
}

/** One target unit's extra-key check, whole. */
async function verifyTargetUnit(
  options: VerifyMigrationOptions,
  unit: TargetUnitDescriptor,
  filter: KeyFilter,
  maxExamples: number,
): Promise<VerifyReport> {
  const clients = await openExtraCheck(options.config, unit);
  try {
    const { report } = await verifyExtraScan(clients.target, clients.source, {
      level: options.level,
      ttlToleranceMs: options.ttlToleranceMs ?? 1000,
      filter,
      maxExamples,
      shouldStop: options.shouldStop,
    });
    return report;
  } finally {
    await clients.close();
  }
}
