import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import type { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { HEARTBEAT_EVERY_MS, type SliceOptions } from '../../src/cloud/slice-runner.js';
import type { UnitDescriptor } from '../../src/core/contracts.js';
import { MigrationError } from '../../src/core/errors.js';
import type { TaskDeps } from './task-deps.js';

/** What a slice task needs of its Lambda invocation. */
export interface SliceInvocation {
  requestId: string;
  remainingMs: () => number;
}

/** The ids every slice event carries. */
export interface SliceIds {
  migrationId: string;
  runId: string;
  unitId: string;
}

/**
 * The slice runner's options for one invocation: its remaining time, the settings' margin, the
 * slice's budget, and a heartbeat that renews `runId`'s claim (never takes a free one) well within
 * the claim's TTL.
 */
export function sliceOptions(deps: TaskDeps, invocation: SliceInvocation, ids: SliceIds, budgetMs: number | undefined): SliceOptions {
  const state = new DynamoMigrationState(deps.dynamo, deps.settings.tableName, ids.migrationId);
  return {
    remainingMs: invocation.remainingMs(),
    safetyMarginMs: deps.settings.safetyMarginMs,
    budgetMs,
    renewClaim: () => state.heartbeat(ids.runId, deps.settings.claimTtlMs),
    // Several renewals within the claim's TTL, so a slow one never lets it lapse.
    heartbeatEveryMs: Math.max(1_000, Math.min(HEARTBEAT_EVERY_MS, Math.floor(deps.settings.claimTtlMs / 3))),
  };
}

/** The slice count of the next loop state: the event's plus this one. */
export function nextSliceCount(event: { slices?: unknown }): number {
  return (typeof event.slices === 'number' ? event.slices : 0) + 1;
}

/** The unit's descriptor from the stored plan; a unit the plan does not have is an error in the event. */
export async function plannedUnit(store: DynamoCheckpointStore, ids: SliceIds): Promise<UnitDescriptor> {
  const unit = (await store.loadUnitRecord(ids.unitId))?.descriptor;
  if (!unit) throw new MigrationError(`unit ${ids.unitId} is not part of migration ${ids.migrationId}'s plan`);
  return unit;
}
