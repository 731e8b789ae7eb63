import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { CheckpointConflictError } from '../../src/core/errors.js';
import type { UnitCounters } from '../../src/core/contracts.js';
import { sumCounters } from '../../src/runner/run-migration.js';
import { openMigration, requireStrings, type TaskDeps } from './task-deps.js';

export interface ReportEvent {
  migrationId: string;
  runId: string;
  round?: number;
}

export interface RunSummary {
  migrationId: string;
  status: 'completed';
  dryRun: boolean;
  units: number;
  /** Executions the run took (rounds restart as new). */
  rounds: number;
  totals: UnitCounters;
  finishedAt: string;
}

export interface ReportResult {
  migrationId: string;
  finished: boolean;
  pendingUnits: number;
  summary: RunSummary | null;
}

/**
 * Sums the units' counters. When every unit is done, marks the migration finished (releasing the
 * run's claim, and setting the TTL) and returns the summary; otherwise says how many remain, and
 * the state machine continues the run in a new execution.
 */
export async function reportRun(event: ReportEvent, deps: TaskDeps): Promise<ReportResult> {
  const { migrationId, runId } = requireStrings(event, 'report', ['migrationId', 'runId'] as const);
  let opened: Awaited<ReturnType<typeof openMigration>>;
  try {
    opened = await openMigration(deps, migrationId, runId);
  } catch (error) {
    // A retried report whose first attempt finished the migration (and released it) but whose
    // response was lost: answer again from what it stored.
    const stored = error instanceof CheckpointConflictError ? await new DynamoMigrationState(deps.dynamo, deps.settings.tableName, migrationId).load() : undefined;
    if (stored?.status === 'finished' && stored.summary) return { migrationId, finished: true, pendingUnits: 0, summary: stored.summary as RunSummary };
    throw error;
  }
  const { state, record, cloud } = opened;
  const store = new DynamoCheckpointStore(deps.dynamo, deps.settings.tableName, migrationId, { owner: `${runId}/report`, runId });
  const units = await store.listUnits();
  const planned = new Set(record.unitIds ?? units.map((u) => u.checkpoint.unitId));
  const mine = units.filter((u) => planned.has(u.checkpoint.unitId));
  const pendingUnits = mine.filter((u) => u.checkpoint.status !== 'done').length;
  if (pendingUnits > 0) return { migrationId, finished: false, pendingUnits, summary: null };

  const summary: RunSummary = {
    migrationId,
    status: 'completed',
    dryRun: cloud.config.dryRun,
    units: mine.length,
    rounds: (typeof event.round === 'number' ? event.round : (record.round ?? 0)) + 1,
    totals: sumCounters(mine.map((u) => u.checkpoint.counters)),
    finishedAt: new Date().toISOString(),
  };
  const days = deps.settings.retentionDays;
  const expiresAt = days > 0 ? Math.floor(Date.now() / 1000) + Math.round(days * 86_400) : undefined;
  if (expiresAt !== undefined) await store.expireUnits([...planned], expiresAt);
  await state.finish(runId, summary, expiresAt);
  return { migrationId, finished: true, pendingUnits: 0, summary };
}
