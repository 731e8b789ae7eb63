import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress, isVerified } from '../../src/checkpoint/dynamo-verify.js';
import type { RestoreCloudConfig } from '../../src/cloud/restore-input.js';
import { verifiesAfterCopy } from '../../src/cloud/verify-outcome.js';
import { planRestore } from '../../src/runner/restore/plan-restore.js';
import { openSnapshot, resolveRestoreConfig } from './restore-deps.js';
import type { TaskDeps } from './task-deps.js';

/** What one round of a restore run does: the phase and its pending units (PlanResult's fields). */
export interface RestoreRound {
  phase: 'copy' | 'verify';
  unitIds: string[];
  unitCount: number;
  resumed: boolean;
}

/**
 * A restore's plan, as the CLI makes it (planRestore): the snapshot split at key boundaries into byte
 * ranges of one db each, one unit per range, the target preflighted and the file's functions loaded,
 * all stored in DynamoDB with the object's size and ETag; a later round reloads it, refusing an object
 * replaced since. Then the round's phase: copy while a range is not restored, then verify (unless
 * verify is none or a dry run) until every range is verified by this run.
 */
export async function planRestoreRound(
  cloud: RestoreCloudConfig,
  ids: { migrationId: string; runId: string },
  deps: TaskDeps,
): Promise<RestoreRound> {
  const { migrationId, runId } = ids;
  const { dynamo, settings } = deps;
  const config = await resolveRestoreConfig(cloud, deps.resolveSecret);
  const store = new DynamoCheckpointStore(dynamo, settings.tableName, migrationId, {
    owner: `${runId}/plan`,
    runId,
    leaseMs: settings.leaseMs,
  });
  const note = (message: string) => deps.log.info(message, { migrationId });
  const rdb = await openSnapshot(config.rdb.uri, settings);
  // Each range is a Lambda of its own: the ranges follow the object's size, not the round trip.
  const { plan, resumed } = await planRestore(config, migrationId, store, rdb, note, 'one-per-range');
  const done = new Set((await store.listUnits()).filter((u) => u.checkpoint.status === 'done').map((u) => u.checkpoint.unitId));
  const unitIds = plan.units.map((u) => u.id).filter((id) => !done.has(id));
  if (unitIds.length > 0 || !verifiesAfterCopy(config)) return { phase: 'copy', unitIds, unitCount: plan.units.length, resumed };
  // Every range is restored: this round verifies, resuming this run's progress (a new run starts over).
  const progress = new Map(
    (await new DynamoVerifyProgress(dynamo, settings.tableName, migrationId, { runId, owner: `${runId}/plan` }).list()).map((p) => [
      p.unitId,
      p,
    ]),
  );
  const toVerify = plan.units.map((u) => u.id).filter((id) => !isVerified(progress.get(id), runId, config.verify));
  return { phase: 'verify', unitIds: toVerify, unitCount: plan.units.length, resumed };
}
