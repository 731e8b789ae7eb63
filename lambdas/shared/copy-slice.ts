import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { sliceDeadline } from '../../src/cloud/slice-deadline.js';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { MigrationError } from '../../src/core/errors.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { runUnitSession } from '../../src/runner/unit-session.js';
import { openMigration, requireStrings, resolveConfig, type TaskDeps } from './task-deps.js';

/** One iteration of a unit's loop: the ids, and how many slices this child execution has run. */
export interface CopyEvent {
  migrationId: string;
  runId: string;
  unitId: string;
  slices?: number;
  /** Caps this slice's copying time (ms), like COPY_TIME_BUDGET_MS. */
  timeBudgetMs?: number;
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

export interface CopyInvocation {
  requestId: string;
  remainingMs: () => number;
}

/** How often a long slice renews the run's claim on the migration. */
const HEARTBEAT_EVERY_MS = 60_000;

/**
 * Copies batches of one unit until the slice's deadline, checkpointing after each, then returns
 * whether the unit is done. The unit is leased to this invocation: a newer invocation of the same
 * run (Step Functions retrying after losing contact) takes it over and this one's next checkpoint
 * fails with CheckpointConflictError, so at most one of them advances the unit.
 */
export async function copySlice(event: CopyEvent, deps: TaskDeps, invocation: CopyInvocation): Promise<CopyResult> {
  const { migrationId, runId, unitId } = requireStrings(event, 'copy', ['migrationId', 'runId', 'unitId'] as const);
  const slices = (typeof event.slices === 'number' ? event.slices : 0) + 1;
  const { settings } = deps;
  const deadline = sliceDeadline({
    nowMs: Date.now(),
    remainingMs: invocation.remainingMs(),
    safetyMarginMs: settings.safetyMarginMs,
    budgetMs: event.timeBudgetMs ?? settings.timeBudgetMs,
  });

  const { state, record, cloud } = await openMigration(deps, migrationId, runId);
  const store = new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, {
    owner: `${runId}/${invocation.requestId}`,
    runId,
    leaseMs: settings.leaseMs,
  });
  const unit = (await store.loadUnitRecord(unitId))?.descriptor;
  if (!unit) throw new MigrationError(`unit ${unitId} is not part of migration ${migrationId}'s plan`);
  const result = (checkpoint: UnitCheckpoint, copied: number): CopyResult => ({
    migrationId,
    runId,
    unitId,
    slices,
    done: checkpoint.status === 'done',
    copied,
  });

  const config = await resolveConfig(cloud, deps.resolveSecret);
  // openMigration just renewed this run's claim, so another run's lease is a stopped run's leftover.
  const checkpoint = await store.acquireUnit(unitId, { evictOtherRuns: true });
  if (checkpoint.status === 'done') return result(checkpoint, 0);

  // Stop at the deadline, but only after at least one batch, so every slice makes progress.
  let progressed = false;
  let lostClaim: unknown;
  let heartbeat: Promise<void> | undefined;
  let lastBeat = Date.now();
  const onProgress = (saved: UnitCheckpoint) => {
    if (saved.counters.batches > checkpoint.counters.batches) progressed = true;
    if (!heartbeat && Date.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
      lastBeat = Date.now();
      heartbeat = state.heartbeat(runId, settings.claimTtlMs).then(
        () => {
          heartbeat = undefined;
        },
        (error) => {
          lostClaim = error;
        },
      );
    }
  };
  // The rate limit is for the whole migration: split it across the units copied at once.
  const parallel = Math.max(1, Math.min(settings.maxConcurrency, record.unitIds?.length ?? 1));
  const finished = await runUnitSession({
    config,
    unit,
    store,
    checkpoint,
    filter: createKeyFilter(config.filter),
    limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit / parallel) : undefined,
    shouldStop: () => lostClaim !== undefined || (progressed && Date.now() >= deadline),
    onProgress,
    note: (message) => deps.log.info(message, { migrationId, unitId }),
  });
  await heartbeat;
  if (lostClaim !== undefined) throw lostClaim;
  deps.log.info('slice copied', {
    migrationId,
    unitId,
    slices,
    status: finished.status,
    cursor: finished.cursor,
    counters: finished.counters,
  });
  return result(finished, finished.counters.copied - checkpoint.counters.copied);
}
