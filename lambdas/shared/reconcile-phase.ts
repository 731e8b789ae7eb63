import type { MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import type { StoredUnit } from '../../src/checkpoint/dynamo-store.js';
import type { SliceControl } from '../../src/cloud/slice-runner.js';
import type { MigrationConfig } from '../../src/core/config.js';
import {
  type CheckpointStore,
  type MigrationPlan,
  type ReconcileCounters,
  sumReconcile,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
} from '../../src/core/contracts.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { runDeleteSession } from '../../src/runner/delete-session.js';

/**
 * The delete phase of a reconcile run, once every copy unit is done: the target units that have not
 * deleted what the source lacks yet (none left: undefined, the run goes on to verify). After the
 * copy, as in the local engine, so a key is deleted only when the whole source was compared.
 */
export function pendingDeletePhase(
  plan: MigrationPlan,
  done: ReadonlySet<string>,
): { phase: 'delete'; unitIds: string[]; unitCount: number } | undefined {
  const targetUnits = plan.targetUnits ?? [];
  const unitIds = targetUnits.map((u) => u.id).filter((id) => !done.has(id));
  return unitIds.length > 0 ? { phase: 'delete', unitIds, unitCount: targetUnits.length } : undefined;
}

/** The target unit `unitId` names in a reconcile run: the Copy task then runs its delete pass. */
export function deleteUnitOf(record: MigrationRecord, unitId: string): TargetUnitDescriptor | undefined {
  return record.reconcile ? record.targetUnits?.find((u) => u.id === unitId) : undefined;
}

/** What the report needs of a reconcile run's units: its delete units still pending, and the pass's counts. */
export function reconcileStanding(
  record: MigrationRecord,
  units: readonly StoredUnit[],
): { deleteUnitIds: string[]; pendingDeletes: number; counts?: ReconcileCounters } {
  if (!record.reconcile) return { deleteUnitIds: [], pendingDeletes: 0 };
  const byId = new Map(units.map((u) => [u.checkpoint.unitId, u.checkpoint]));
  const deleteUnitIds = (record.targetUnits ?? []).map((u) => u.id);
  const pendingDeletes = deleteUnitIds.filter((id) => byId.get(id)?.status !== 'done').length;
  return { deleteUnitIds, pendingDeletes, counts: sumReconcile(units.map((u) => u.checkpoint.reconcile)) };
}

/**
 * A delete slice: walks the target unit from its checkpoint, deleting the keys in the selection
 * that the source lacks, until done or the slice's deadline (runDeleteSession, as `redis-ferry
 * reconcile` runs it). A done unit is returned as it is.
 */
export async function deleteTargetKeys(args: {
  config: MigrationConfig;
  unit: TargetUnitDescriptor;
  store: CheckpointStore;
  checkpoint: UnitCheckpoint;
  slice: SliceControl;
  note: (message: string) => void;
}): Promise<UnitCheckpoint> {
  const { config, unit, store, checkpoint, slice, note } = args;
  if (checkpoint.status === 'done') return checkpoint;
  const filter = createKeyFilter(config.filter);
  return runDeleteSession({
    config,
    unit,
    store,
    checkpoint,
    filter,
    shouldStop: slice.shouldStop,
    onProgress: () => slice.progressed(),
    note,
  });
}
