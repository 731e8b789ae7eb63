import {
  type ReconcileCounters,
  subtractReconcile,
  sumReconcile,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
} from '../core/contracts.js';

export interface ReconcileSummary {
  /** Whether the pass deletes target keys the source lacks (false with --no-delete). */
  deletes: boolean;
  /** Over every unit, source and target, across resumes; `thisRun` without what earlier runs did. */
  totals: ReconcileCounters;
  thisRun: ReconcileCounters;
  /** The delete pass's units (none without deletes). */
  targetUnits: { unit: TargetUnitDescriptor; checkpoint: UnitCheckpoint }[];
}

/**
 * What a reconcile pass found and did: the reconcile counts of every unit's checkpoint (the copy
 * units' diff, the target units' deletes), and of those this run added to what it started from.
 */
export function reconcileSummary(
  deletes: boolean,
  all: { checkpoint: UnitCheckpoint }[],
  atStart: (UnitCheckpoint | undefined)[],
  targetUnits: ReconcileSummary['targetUnits'],
): ReconcileSummary {
  const totals = sumReconcile(all.map((u) => u.checkpoint.reconcile));
  const before = sumReconcile(atStart.map((c) => c?.reconcile));
  return { deletes, totals, thisRun: subtractReconcile(totals, before), targetUnits };
}
