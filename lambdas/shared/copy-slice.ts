import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { reconcileConfig } from '../../src/cloud/reconcile-run.js';
import { runSlice, type SliceControl } from '../../src/cloud/slice-runner.js';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { runUnitSession } from '../../src/runner/unit-session.js';
import { deleteTargetKeys, deleteUnitOf } from './reconcile-phase.js';
import { restoreSlice } from './restore-slice.js';
import { meterCopySlice, meteredSlice } from './slice-metering.js';
import { nextSliceCount, plannedUnit, type SliceIds, type SliceInvocation, sliceOptions } from './slice-task.js';
import { openMigration, requireStrings, resolveConfig, type TaskDeps } from './task-deps.js';

/** One iteration of a unit's loop: the ids, and how many slices this child execution has run. */
export interface CopyEvent {
  migrationId: string;
  runId: string;
  unitId: string;
  slices?: number;
  /** Caps this slice's copying time (ms), like COPY_TIME_BUDGET_MS. */
  timeBudgetMs?: number;
  /** Caps the batches this slice copies (tests: a number of slices per unit that the machine's speed cannot change). */
  maxBatches?: number;
}

/** The next loop state: the Choice reads `done` and `slices`. */
export interface CopyResult {
  migrationId: string;
  runId: string;
  unitId: string;
  slices: number;
  done: boolean;
  /** Keys written in this slice (for the execution history; totals live in DynamoDB). */
  copied: number;
}

/** The unit's checkpoint when the slice took it, and when it stopped. */
interface CopiedSlice {
  before: UnitCheckpoint;
  after: UnitCheckpoint;
}

/**
 * Copies batches of one unit until the slice's deadline (see slice-runner.ts: at least one batch,
 * the run's claim renewed meanwhile), checkpointing after each, then returns whether the unit is
 * done. The unit is leased to this invocation: a newer invocation of the same run (Step Functions
 * retrying after losing contact) takes it over and this one's next checkpoint fails with
 * CheckpointConflictError, so at most one of them advances the unit.
 */
export async function copySlice(event: CopyEvent, deps: TaskDeps, invocation: SliceInvocation): Promise<CopyResult> {
  const ids = requireStrings(event, 'copy', ['migrationId', 'runId', 'unitId'] as const);
  const { migrationId, runId, unitId } = ids;
  const slices = nextSliceCount(event);
  const options = sliceOptions(deps, invocation, ids, event.timeBudgetMs ?? deps.settings.timeBudgetMs);
  const started = Date.now();
  const { value, deadlineReached } = await meteredSlice(deps.metrics, ids, () =>
    runSlice(options, (slice) => copyUnit(ids, deps, invocation.requestId, slice, event.maxBatches)),
  );
  const { before, after } = value;
  meterCopySlice(deps.metrics, migrationId, { before, after, elapsedMs: Date.now() - started });
  if (before.status !== 'done') {
    const { status, cursor, counters } = after;
    deps.log.info('slice copied', { migrationId, unitId, slices, deadlineReached, status, cursor, counters });
  }
  return { migrationId, runId, unitId, slices, done: after.status === 'done', copied: after.counters.copied - before.counters.copied };
}

/** The work of a copy slice: take the unit and copy it until done, told to stop, or `maxBatches` were copied. */
async function copyUnit(
  ids: SliceIds,
  deps: TaskDeps,
  requestId: string,
  slice: SliceControl,
  maxBatches: number | undefined,
): Promise<CopiedSlice> {
  const { migrationId, runId, unitId } = ids;
  const { settings } = deps;
  const { record, cloud } = await openMigration(deps, migrationId, runId);
  if (cloud.kind === 'restore') return restoreSlice({ ids, deps, requestId, slice, maxBatches, record, cloud });
  const store = new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, {
    owner: `${runId}/${requestId}`,
    runId,
    leaseMs: settings.leaseMs,
  });
  const note = (message: string) => deps.log.info(message, { migrationId, unitId });
  // A reconcile run's delete phase sends its target units through this same loop.
  const deleteUnit = deleteUnitOf(record, unitId);
  const unit = deleteUnit ? undefined : await plannedUnit(store, ids);
  const config = reconcileConfig(await resolveConfig(cloud, deps.resolveSecret), record.reconcile === true);
  // openMigration just renewed this run's claim, so another run's lease is a stopped run's leftover.
  const before = await store.acquireUnit(unitId, { evictOtherRuns: true });
  if (before.status === 'done' || !unit) {
    const after = deleteUnit ? await deleteTargetKeys({ config, unit: deleteUnit, store, checkpoint: before, slice, note }) : before;
    return { before, after };
  }

  // The rate limit is for the whole migration: split it across the units copied at once.
  const parallel = Math.max(1, Math.min(settings.maxConcurrency, record.unitIds?.length ?? 1));
  const after = await runUnitSession({
    config,
    unit,
    store,
    checkpoint: before,
    filter: createKeyFilter(config.filter),
    limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit / parallel) : undefined,
    shouldStop: slice.shouldStop,
    maxBatches,
    onProgress: (saved) => {
      if (saved.counters.batches > before.counters.batches) slice.progressed();
    },
    note,
    // Reconcile: write only the keys that differ, counting what it found (the checkpoint's `reconcile`).
    ...(record.reconcile ? { reconcile: {} } : {}),
  });
  return { before, after };
}
