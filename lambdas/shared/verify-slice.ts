import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress, type VerifyProgress } from '../../src/checkpoint/dynamo-verify.js';
import { runSlice, type SliceControl } from '../../src/cloud/slice-runner.js';
import type { MigrationConfig } from '../../src/core/config.js';
import { MigrationError } from '../../src/core/errors.js';
import { totalDifferences, type VerifyReport } from '../../src/core/verify-report.js';
import { isConnectionLoss, isTransientRefusal, redisFailure } from '../../src/redis/redis-errors.js';
import { discoverTarget, type TargetLayout } from '../../src/redis/target-access.js';
import { verifyRestoreSlice } from './restore-verify.js';
import { meteredSlice } from './slice-metering.js';
import { nextSliceCount, plannedUnit, type SliceIds, type SliceInvocation, sliceOptions } from './slice-task.js';
import { openMigration, requireStrings, resolveConfig, type TaskDeps } from './task-deps.js';
import { openUnitWork } from './verify-unit.js';

/** One iteration of a unit's verify loop: ids, and how many slices this child execution has run. */
export interface VerifyEvent {
  migrationId: string;
  runId: string;
  unitId: string;
  slices?: number;
  /** Caps this slice's comparing time (ms), like VERIFY_TIME_BUDGET_MS. */
  timeBudgetMs?: number;
}

/** The next loop state: the Choice reads `done` and `slices`. */
export interface VerifyResult {
  migrationId: string;
  runId: string;
  unitId: string;
  slices: number;
  done: boolean;
  /** Keys compared in this slice: source keys, or a target unit's target keys (totals and differences live in DynamoDB). */
  checked: number;
}

export type TargetKind = TargetLayout['kind'];

export interface VerifyDeps extends TaskDeps {
  /** The target's kind for the unit clients; discovered once per migration per container. */
  targetKind: (migrationId: string, config: MigrationConfig) => Promise<TargetKind>;
}

/** Asks the target what it is once per migration, then answers from memory (a warm container). */
export function cachedTargetKind(): VerifyDeps['targetKind'] {
  const kinds = new Map<string, Promise<TargetKind>>();
  return (migrationId, config) => {
    let kind = kinds.get(migrationId);
    if (!kind) {
      kind = discoverTarget(config.target, config.mode !== 'struct').then((layout) => layout.kind);
      kinds.set(migrationId, kind);
      kind.catch(() => kinds.delete(migrationId));
    }
    return kind;
  };
}

/** What a verify slice did: where the unit's comparison stands, and the keys compared before it. */
interface VerifiedSlice {
  progress?: VerifyProgress;
  checkedBefore: number;
  /** The unit's differences found before this slice (the metric counts this slice's). */
  differencesBefore: number;
}

/**
 * Compares one unit's keys with the target from where its verification stopped, until the slice's
 * deadline (see slice-runner.ts: at least one batch, the run's claim renewed meanwhile), saving the
 * cursor and the partial report after each batch, then returns whether the unit is verified.
 * Progress is fenced by version (see DynamoVerifyProgress), and the run must still hold the
 * migration, as for the copy.
 */
export async function verifySlice(event: VerifyEvent, deps: VerifyDeps, invocation: SliceInvocation): Promise<VerifyResult> {
  const ids = requireStrings(event, 'verify', ['migrationId', 'runId', 'unitId'] as const);
  const { migrationId, runId, unitId } = ids;
  const slices = nextSliceCount(event);
  const options = sliceOptions(deps, invocation, ids, event.timeBudgetMs ?? deps.settings.verifyTimeBudgetMs);
  const started = Date.now();
  const { value, deadlineReached } = await meteredSlice(deps.metrics, ids, () =>
    runSlice(options, (slice) => verifyUnit(ids, deps, invocation.requestId, slice)),
  );
  const { progress, checkedBefore, differencesBefore } = value;
  if (!progress) return { migrationId, runId, unitId, slices, done: true, checked: 0 };
  const { done, cursor, report } = progress;
  const { checked, skipped, targetChecked, differences } = report;
  const keysVerified = keysLookedAt(report) - checkedBefore;
  const found = totalDifferences(report) - differencesBefore;
  deps.metrics?.verifySlice({ migrationId, keysVerified, differences: found, elapsedMs: Date.now() - started });
  deps.log.info('slice verified', {
    migrationId,
    unitId,
    slices,
    deadlineReached,
    done,
    cursor,
    checked,
    skipped,
    targetChecked,
    differences,
  });
  return { migrationId, runId, unitId, slices, done, checked: keysVerified };
}

/** A copy unit's source keys compared, or a target unit's target keys looked up on the source. */
function keysLookedAt(report: VerifyReport): number {
  return report.checked + (report.targetChecked ?? 0);
}

/**
 * The work of a verify slice: take the unit's verification (a copy unit's comparison, or a target
 * unit's extra-key check) and go on until done or told to stop.
 */
async function verifyUnit(ids: SliceIds, deps: VerifyDeps, requestId: string, slice: SliceControl): Promise<VerifiedSlice> {
  const { migrationId, runId, unitId } = ids;
  const { settings } = deps;
  const { record, cloud } = await openMigration(deps, migrationId, runId);
  if (cloud.kind === 'restore')
    return verifyRestoreSlice({ ids, deps, requestId, slice, record, cloud }).catch((error: unknown) => {
      throw asVerifyError(error, unitId);
    });
  // A copy unit (source shard × db), or a target unit of the extra-key check (plan.targetUnits).
  const targetUnit = record.targetUnits?.find((u) => u.id === unitId);
  const unit = targetUnit
    ? undefined
    : await plannedUnit(new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, { owner: `${runId}/verify`, runId }), ids);
  const config = await resolveConfig(cloud, deps.resolveSecret);
  if (config.verify === 'none') return { checkedBefore: 0, differencesBefore: 0 };

  const store = new DynamoVerifyProgress(deps.dynamo, settings.tableName, migrationId, { runId, owner: `${runId}/${requestId}` });
  let progress = await store.acquire(unitId, config.verify);
  if (progress.done) return { checkedBefore: 0, differencesBefore: 0 };

  const work = await openUnitWork(
    config,
    unit ? { unit, targetKind: () => deps.targetKind(migrationId, config) } : { targetUnit: targetUnit! },
  );
  progress = work.continueFrom(progress);
  const checkedBefore = keysLookedAt(progress.report);
  const differencesBefore = totalDifferences(progress.report);
  try {
    const reached = await work.run({
      cursor: progress.cursor,
      report: progress.report,
      shouldStop: slice.shouldStop,
      onBatch: async ({ cursor, done, report }) => {
        progress = await store.save({ ...progress, cursor, done, report });
        slice.progressed();
      },
    });
    if (reached.done && !progress.done) progress = await store.save({ ...progress, cursor: '0', done: true, report: reached.report });
  } catch (error) {
    throw asVerifyError(error, unitId);
  } finally {
    await work.close();
  }
  return { progress, checkedBefore, differencesBefore };
}

/** Engine errors pass as they are; a raw Redis error becomes a MigrationError, retryable if transient. */
function asVerifyError(error: unknown, unitId: string): unknown {
  if (error instanceof MigrationError) return error;
  const failure = redisFailure(error);
  return new MigrationError(`verification of unit ${unitId} could not run: ${failure.text}`, {
    cause: error,
    retryable: isConnectionLoss(failure) || isTransientRefusal(failure),
  });
}
