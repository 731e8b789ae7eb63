import type { MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress, type VerifyProgress } from '../../src/checkpoint/dynamo-verify.js';
import type { RestoreCloudConfig } from '../../src/cloud/restore-input.js';
import type { SliceControl } from '../../src/cloud/slice-runner.js';
import { totalDifferences } from '../../src/core/verify-report.js';
import { discoverTarget } from '../../src/redis/target-access.js';
import { verifyRestoreRange } from '../../src/runner/restore/verify-restore.js';
import { openPlannedSnapshot, resolveRestoreConfig } from './restore-deps.js';
import { plannedUnit, type SliceIds } from './slice-task.js';
import type { TaskDeps } from './task-deps.js';

export interface RestoreVerifyOptions {
  ids: SliceIds;
  deps: TaskDeps;
  requestId: string;
  slice: SliceControl;
  /** The migration item the slice read to renew its claim: it names the planned snapshot. */
  record: MigrationRecord;
  cloud: RestoreCloudConfig;
}

/** Where the range's verification stands after the slice, and the keys and differences counted before it. */
export interface RestoreVerified {
  progress?: VerifyProgress;
  checkedBefore: number;
  differencesBefore: number;
}

/**
 * A verify slice of a restore: the range unit's keys of the file compared with the target as the
 * CLI's restore verification does (verifyRestoreRange: type and TTL, and at the full level the value),
 * from the stored cursor (a byte offset), saving the cursor and partial report after each batch.
 */
export async function verifyRestoreSlice(options: RestoreVerifyOptions): Promise<RestoreVerified> {
  const { ids, deps, slice } = options;
  const { migrationId, runId, unitId } = ids;
  const { settings } = deps;
  const config = await resolveRestoreConfig(options.cloud, deps.resolveSecret);
  if (config.verify === 'none') return { checkedBefore: 0, differencesBefore: 0 };
  const units = new DynamoCheckpointStore(deps.dynamo, settings.tableName, migrationId, { owner: `${runId}/verify`, runId });
  const unit = await plannedUnit(units, ids);
  const store = new DynamoVerifyProgress(deps.dynamo, settings.tableName, migrationId, { runId, owner: `${runId}/${options.requestId}` });
  let progress = await store.acquire(unitId, config.verify);
  if (progress.done) return { checkedBefore: 0, differencesBefore: 0 };
  const rdb = await openPlannedSnapshot(options.record, config.rdb.uri, settings);
  const target = await discoverTarget(config.target, config.mode !== 'struct');
  const checkedBefore = progress.report.checked;
  const differencesBefore = totalDifferences(progress.report);
  const reached = await verifyRestoreRange({
    config,
    rdb,
    unit,
    target,
    level: config.verify,
    cursor: progress.cursor,
    report: progress.report,
    shouldStop: slice.shouldStop,
    onBatch: async ({ cursor, done, report }) => {
      progress = await store.save({ ...progress, cursor, done, report });
      slice.progressed();
    },
  });
  if (reached.done && !progress.done) progress = await store.save({ ...progress, cursor: '0', done: true, report: reached.report });
  return { progress, checkedBefore, differencesBefore };
}
