import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress } from '../../src/checkpoint/dynamo-verify.js';
import { sliceDeadline } from '../../src/cloud/slice-deadline.js';
import type { MigrationConfig } from '../../src/core/config.js';
import { MigrationError } from '../../src/core/errors.js';
import { isConnectionLoss, isTransientRefusal, replyText } from '../../src/redis/redis-errors.js';
import { discoverTarget, type TargetLayout } from '../../src/redis/target-access.js';
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

export interface VerifyInvocation {
  requestId: string;
  remainingMs: () => number;
}

export type TargetKind = TargetLayout['kind'];

export interface VerifyDeps extends TaskDeps {
  /** The target's kind for the unit clients; discovered once per migration per container. */
  targetKind: (migrationId: string, config: MigrationConfig) => Promise<TargetKind>;
}

/** How often a long slice renews the run's claim on the migration. */
const HEARTBEAT_EVERY_MS = 60_000;

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

/**
 * Compares one unit's keys with the target from where its verification stopped, until the slice's
 * deadline (at least one batch), saving the cursor and the partial report after each batch, then
 * returns whether the unit is verified. Progress is fenced by version (see DynamoVerifyProgress),
 * and the run must still hold the migration, as for the copy.
 */
export async function verifySlice(event: VerifyEvent, deps: VerifyDeps, invocation: VerifyInvocation): Promise<VerifyResult> {
  const { migrationId, runId, unitId } = requireStrings(event, 'verify', ['migrationId', 'runId', 'unitId'] as const);
  const slices = (typeof event.slices === 'number' ? event.slices : 0) + 1;
  const { settings } = deps;
  const deadline = sliceDeadline({
    nowMs: Date.now(),
    remainingMs: invocation.remainingMs(),
    safetyMarginMs: settings.safetyMarginMs,
    budgetMs: event.timeBudgetMs ?? settings.verifyTimeBudgetMs,
  });
  const result = (done: boolean, checked: number): VerifyResult => ({ migrationId, runId, unitId, slices, done, checked });

  const { state, record, cloud } = await openMigration(deps, migrationId, runId);
  // A copy unit (source shard × db), or a target unit of the extra-key check (plan.targetUnits).
  const targetUnit = record.targetUnits?.find((u) => u.id === unitId);
  const unit = targetUnit
    ? undefined
    : (
        await new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, { owner: `${runId}/verify`, runId }).loadUnitRecord(
          unitId,
        )
      )?.descriptor;
  if (!unit && !targetUnit) throw new MigrationError(`unit ${unitId} is not part of migration ${migrationId}'s plan`);
  const config = await resolveConfig(cloud, deps.resolveSecret);
  if (config.verify === 'none') return result(true, 0);

  const store = new DynamoVerifyProgress(deps.dynamo, settings.tableName, migrationId, {
    runId,
    owner: `${runId}/${invocation.requestId}`,
  });
  let progress = await store.acquire(unitId, config.verify);
  if (progress.done) return result(true, 0);

  const work = await openUnitWork(
    config,
    unit ? { unit, targetKind: () => deps.targetKind(migrationId, config) } : { targetUnit: targetUnit! },
  );
  progress = work.continueFrom(progress);
  const checkedBefore = progress.report.checked + (progress.report.targetChecked ?? 0);
  let batches = 0;
  let lastBeat = Date.now();
  try {
    const reached = await work.run({
      cursor: progress.cursor,
      report: progress.report,
      // Stop at the deadline, but only after at least one batch, so every slice makes progress.
      shouldStop: () => batches > 0 && Date.now() >= deadline,
      onBatch: async ({ cursor, done, report }) => {
        batches++;
        progress = await store.save({ ...progress, cursor, done, report });
        if (Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
          lastBeat = Date.now();
          await state.heartbeat(runId, settings.claimTtlMs);
        }
      },
    });
    if (reached.done && !progress.done) progress = await store.save({ ...progress, cursor: '0', done: true, report: reached.report });
  } catch (error) {
    throw asVerifyError(error, unitId);
  } finally {
    await work.close();
  }
  deps.log.info('slice verified', {
    migrationId,
    unitId,
    slices,
    done: progress.done,
    cursor: progress.cursor,
    checked: progress.report.checked,
    skipped: progress.report.skipped,
    targetChecked: progress.report.targetChecked,
    differences: progress.report.differences,
  });
  return result(progress.done, progress.report.checked + (progress.report.targetChecked ?? 0) - checkedBefore);
}

/** Engine errors pass as they are; a raw Redis error becomes a MigrationError, retryable if transient. */
function asVerifyError(error: unknown, unitId: string): unknown {
  if (error instanceof MigrationError) return error;
  const text = replyText(error);
  return new MigrationError(`verification of unit ${unitId} could not run: ${text}`, {
    cause: error,
    retryable: isConnectionLoss(text) || isTransientRefusal(text),
  });
}
