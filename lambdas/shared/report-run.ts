import { DynamoMigrationState, type MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore, type StoredUnit } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress, isVerified } from '../../src/checkpoint/dynamo-verify.js';
import { VERIFICATION_FAILED } from '../../src/cloud/deploy-names.js';
import {
  checksExtraKeys,
  migrationVerifyResult,
  type VerifySummary,
  verificationFailureCause,
  verifiesAfterCopy,
  verifySummary,
} from '../../src/cloud/verify-outcome.js';
import { type ReconcileCounters, sumCounters, type UnitCounters } from '../../src/core/contracts.js';
import { CheckpointConflictError } from '../../src/core/errors.js';
import type { MigrationVerifyResult } from '../../src/core/verify-report.js';
import { followingUnits } from './follow-report.js';
import { reconcileStanding } from './reconcile-phase.js';
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
  /** A reconcile run: what the pass found and did (compared, missing, different, unchanged, deleted). */
  reconcile?: ReconcileCounters;
  /** The verify phase's totals and examples (absent with verify = none or a dry run). */
  verify?: VerifySummary;
  finishedAt: string;
}

/** For the Finished? Choice: done, failed verification, or another round. */
export interface ReportResult {
  migrationId: string;
  finished: boolean;
  /** Units not copied yet. */
  pendingUnits: number;
  /** Units copied but not verified by this run yet. */
  pendingVerify: number;
  /** Units still followed (follow mode, until the cutover finished them). */
  following: number;
  /** More keys differ than maxMismatches allows: the execution fails with `cause`. */
  verificationFailed: boolean;
  cause: string | null;
  summary: RunSummary | null;
}

const notFinished = (migrationId: string, pendingUnits: number, pendingVerify: number): ReportResult => ({
  migrationId,
  finished: false,
  pendingUnits,
  pendingVerify,
  following: 0,
  verificationFailed: false,
  cause: null,
  summary: null,
});

/**
 * Sums the units' counters. While units are not copied, or (verify ≠ none) not verified by this
 * run, says how many remain: the state machine continues in a new round. Then merges the units'
 * verify reports: within maxMismatches, marks the migration finished (releasing the run's claim,
 * setting the TTL) with the summary and the verify result; above it, marks it failed with the
 * result and a readable cause, for the VerificationFailed Fail state.
 */
export async function reportRun(event: ReportEvent, deps: TaskDeps): Promise<ReportResult> {
  const { migrationId, runId } = requireStrings(event, 'report', ['migrationId', 'runId'] as const);
  let opened: Awaited<ReturnType<typeof openMigration>>;
  try {
    opened = await openMigration(deps, migrationId, runId);
  } catch (error) {
    // A retried report whose first attempt finished or failed the migration (and released it) but
    // whose response was lost: answer again from what it stored.
    const stored =
      error instanceof CheckpointConflictError
        ? await new DynamoMigrationState(deps.dynamo, deps.settings.tableName, migrationId).load()
        : undefined;
    const again = stored && answeredBefore(stored);
    if (again) return again;
    throw error;
  }
  const { state, record, cloud } = opened;
  const { config } = cloud;
  const store = new DynamoCheckpointStore(deps.dynamo, deps.settings.tableName, migrationId, { owner: `${runId}/report`, runId });
  const units = await store.listUnits();
  const planned = record.unitIds ?? units.map((u) => u.checkpoint.unitId);
  const byId = new Map(units.map((u) => [u.checkpoint.unitId, u]));
  const mine = planned.map((id) => byId.get(id)).filter((u): u is StoredUnit => u !== undefined);
  const following = 'follow' in config && config.follow.enabled ? await followingUnits(deps, migrationId, planned) : 0;
  // A reconcile run's delete units count as copy units still pending until their pass is done.
  const reconciled = reconcileStanding(record, units);
  const pendingUnits = mine.filter((u) => u.checkpoint.status !== 'done').length + reconciled.pendingDeletes;
  if (following > 0) return { ...notFinished(migrationId, pendingUnits, 0), following };
  const targetUnits = checksExtraKeys(config) ? (record.targetUnits?.length ?? 0) : 0;
  if (pendingUnits > 0) return notFinished(migrationId, pendingUnits, verifiesAfterCopy(config) ? mine.length + targetUnits : 0);

  let verify: MigrationVerifyResult | undefined;
  const progressStore = new DynamoVerifyProgress(deps.dynamo, deps.settings.tableName, migrationId, { runId, owner: `${runId}/report` });
  if (verifiesAfterCopy(config)) {
    const progress = new Map((await progressStore.list()).map((p) => [p.unitId, p]));
    // The copy units, then (extraCheck) the target units of the plan: every one verified by this run.
    const toVerify = [
      ...mine.map((u) => ({ unitId: u.checkpoint.unitId, label: u.descriptor?.label, targetDb: u.descriptor?.targetDb ?? 0 })),
      ...(checksExtraKeys(config) ? (record.targetUnits ?? []) : []).map((u) => ({ unitId: u.id, label: u.label, targetDb: u.targetDb })),
    ];
    const pendingVerify = toVerify.filter((u) => !isVerified(progress.get(u.unitId), runId, config.verify)).length;
    if (pendingVerify > 0) return notFinished(migrationId, 0, pendingVerify);
    const verified = toVerify.map((u) => {
      const p = progress.get(u.unitId)!;
      return { unitId: p.unitId, label: u.label ?? p.unitId, targetDb: u.targetDb, report: p.report, startedAt: p.startedAt };
    });
    verify = migrationVerifyResult(migrationId, config.verify, verified, config.maxMismatches, Date.now());
  }

  const summary: RunSummary = {
    migrationId,
    status: 'completed',
    dryRun: config.dryRun,
    units: mine.length,
    rounds: (typeof event.round === 'number' ? event.round : (record.round ?? 0)) + 1,
    totals: sumCounters(mine.map((u) => u.checkpoint.counters)),
    ...(reconciled.counts ? { reconcile: reconciled.counts } : {}),
    ...(verify ? { verify: verifySummary(verify) } : {}),
    finishedAt: new Date().toISOString(),
  };
  if (verify && !verify.passed) {
    const cause = verificationFailureCause(verify);
    const released = await state.fail(runId, { error: VERIFICATION_FAILED, message: cause }, { verify });
    if (!released)
      throw new CheckpointConflictError(
        `migration ${migrationId} is no longer held by run ${runId}; its verification result was not stored`,
      );
    deps.log.warn('verification failed', { migrationId, runId, mismatches: verify.mismatches, maxMismatches: verify.maxMismatches });
    return { migrationId, finished: false, pendingUnits: 0, pendingVerify: 0, following: 0, verificationFailed: true, cause, summary };
  }

  const days = deps.settings.retentionDays;
  const expiresAt = days > 0 ? Math.floor(Date.now() / 1000) + Math.round(days * 86_400) : undefined;
  if (expiresAt !== undefined) {
    await store.expireUnits([...planned, ...reconciled.deleteUnitIds], expiresAt);
    if (verify) await progressStore.expire(planned, expiresAt);
  }
  await state.finish(runId, summary, expiresAt, verify ? { verify } : {});
  return { migrationId, finished: true, pendingUnits: 0, pendingVerify: 0, following: 0, verificationFailed: false, cause: null, summary };
}

/** What a report that already ended the migration answered, read back from the migration item. */
function answeredBefore(stored: MigrationRecord): ReportResult | undefined {
  const { migrationId } = stored;
  if (stored.status === 'finished' && stored.summary)
    return {
      migrationId,
      finished: true,
      pendingUnits: 0,
      pendingVerify: 0,
      following: 0,
      verificationFailed: false,
      cause: null,
      summary: stored.summary as RunSummary,
    };
  if (stored.status === 'failed' && stored.lastErrorType === VERIFICATION_FAILED && stored.lastError) {
    return {
      migrationId,
      finished: false,
      pendingUnits: 0,
      pendingVerify: 0,
      following: 0,
      verificationFailed: true,
      cause: stored.lastError,
      summary: null,
    };
  }
  return undefined;
}
