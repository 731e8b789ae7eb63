import type { MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import type { RestoreCloudConfig } from '../../src/cloud/restore-input.js';
import type { SliceControl } from '../../src/cloud/slice-runner.js';
import type { UnitCheckpoint } from '../../src/core/contracts.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import { runRestoreSession } from '../../src/runner/restore/restore-session.js';
import { openPlannedSnapshot, resolveRestoreConfig } from './restore-deps.js';
import { plannedUnit, type SliceIds } from './slice-task.js';
import type { TaskDeps } from './task-deps.js';

export interface RestoreSliceOptions {
  ids: SliceIds;
  deps: TaskDeps;
  requestId: string;
  slice: SliceControl;
  /** Caps the batches this slice restores (the copy event's maxBatches). */
  maxBatches?: number;
  record: MigrationRecord;
  cloud: RestoreCloudConfig;
}

/**
 * A copy slice of a restore: takes the range unit (leased to this invocation, as a copy unit is) and
 * restores its records from the checkpointed byte offset with the CLI's unit session
 * (runRestoreSession: RESTORE of the file's bytes, decoded writes for big keys), checkpointing after
 * each batch, until the range ends or the slice runner says stop. The object must be the planned one.
 */
export async function restoreSlice(options: RestoreSliceOptions): Promise<{ before: UnitCheckpoint; after: UnitCheckpoint }> {
  const { ids, deps, slice, record } = options;
  const { migrationId, runId, unitId } = ids;
  const { settings } = deps;
  const store = new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, {
    owner: `${runId}/${options.requestId}`,
    runId,
    leaseMs: settings.leaseMs,
  });
  const unit = await plannedUnit(store, ids);
  const config = await resolveRestoreConfig(options.cloud, deps.resolveSecret);
  // openMigration just renewed this run's claim, so another run's lease is a stopped run's leftover.
  const before = await store.acquireUnit(unitId, { evictOtherRuns: true });
  if (before.status === 'done') return { before, after: before };
  const rdb = await openPlannedSnapshot(record, config.rdb.uri, settings);
  // The rate limit is for the whole restore: split it across the ranges restored at once.
  const parallel = Math.max(1, Math.min(settings.maxConcurrency, record.unitIds?.length ?? 1));
  const after = await runRestoreSession({
    config,
    rdb,
    unit,
    store,
    checkpoint: before,
    filter: createKeyFilter(config.filter),
    limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit / parallel) : undefined,
    shouldStop: slice.shouldStop,
    maxBatches: options.maxBatches,
    onProgress: (saved) => {
      if (saved.counters.batches > before.counters.batches) slice.progressed();
    },
    note: (message) => deps.log.info(message, { migrationId, unitId }),
  });
  return { before, after };
}
