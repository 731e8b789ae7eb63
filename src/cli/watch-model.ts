import type { MigrationRecord } from '../checkpoint/dynamo-migration.js';
import type { StoredUnit } from '../checkpoint/dynamo-store.js';
import type { VerifyProgress } from '../checkpoint/dynamo-verify.js';
import { scanProgress } from '../core/scan-position.js';

/** What `status --watch` reads at each poll: the migration item, its unit items and its verify progress. */
export interface StatusSnapshot {
  record: MigrationRecord;
  units: StoredUnit[];
  verify: VerifyProgress[];
}

/** The phase a run is in, as its stored state shows it (the plan task picks one per round). */
export type WatchPhase = 'copy' | 'delete' | 'verify';

export interface UnitView {
  id: string;
  label: string;
  done: boolean;
  /** Estimated fraction of the unit's keyspace walked in this phase (from its SCAN cursor). */
  progress: number;
  /** Keys copied (copy), target keys checked (delete), keys compared (verify). */
  count: number;
}

export interface WatchModel {
  status: 'running' | 'finished' | 'failed';
  round?: number;
  phase: WatchPhase;
  units: UnitView[];
  /** The phase's units together: mean progress, summed count, units done. */
  total: { progress: number; count: number; done: number; of: number };
  /** Keys copied and payload bytes over the whole run (every phase shows them). */
  copied: number;
  bytes: number;
}

/**
 * The watcher's view of a snapshot. The phase: `copy` while a copy unit is not done; `delete`
 * while a reconcile run's target units have not deleted what the source lacks; then `verify` once
 * this run has verify progress. Progress is estimated from each unit's SCAN cursor, as the local
 * progress bars do; counts are exact.
 */
export function watchModel(snapshot: StatusSnapshot): WatchModel {
  const { record, units } = snapshot;
  const planned = new Set(record.unitIds ?? units.filter((u) => u.descriptor).map((u) => u.checkpoint.unitId));
  const order = new Map([...planned].map((id, i) => [id, i]));
  const copyUnits = units.filter((u) => planned.has(u.checkpoint.unitId));
  copyUnits.sort((a, b) => order.get(a.checkpoint.unitId)! - order.get(b.checkpoint.unitId)!);
  const deleteUnits = units.filter((u) => !planned.has(u.checkpoint.unitId));
  const verify = snapshot.verify.filter((p) => p.runId === record.activeRun);
  const copied = copyUnits.reduce((n, u) => n + u.checkpoint.counters.copied, 0);
  const bytes = copyUnits.reduce((n, u) => n + u.checkpoint.counters.bytes, 0);

  let phase: WatchPhase = 'copy';
  let views = copyUnits.map(copyView);
  if (copyUnits.length > 0 && copyUnits.every((u) => u.checkpoint.status === 'done')) {
    if (deleteUnits.some((u) => u.checkpoint.status !== 'done')) {
      phase = 'delete';
      views = deleteUnits.map(deleteView);
    } else if (verify.length > 0) {
      phase = 'verify';
      views = verifyViews(copyUnits, verify);
    }
  }
  const status = record.status === 'finished' || record.status === 'failed' ? record.status : 'running';
  const total = totalOf(views, phase === 'copy' ? planned.size : views.length);
  return { status, round: record.round, phase, units: views, total, copied, bytes };
}

function copyView(u: StoredUnit): UnitView {
  const c = u.checkpoint;
  const done = c.status === 'done';
  return { id: c.unitId, label: u.descriptor?.label ?? c.unitId, done, progress: scanProgress(c.cursor, done), count: c.counters.copied };
}

function deleteView(u: StoredUnit): UnitView {
  const c = u.checkpoint;
  const done = c.status === 'done';
  return { id: c.unitId, label: c.unitId, done, progress: scanProgress(c.cursor, done), count: c.reconcile?.targetChecked ?? 0 };
}

/** The copy units' verification, then any other unit this run verifies (the extra-key check's target units). */
function verifyViews(copyUnits: StoredUnit[], verify: VerifyProgress[]): UnitView[] {
  const byId = new Map(verify.map((p) => [p.unitId, p]));
  const view = (id: string, label: string): UnitView => {
    const p = byId.get(id);
    const done = p?.done ?? false;
    const count = p ? p.report.checked + (p.report.targetChecked ?? 0) : 0;
    return { id, label, done, progress: p ? scanProgress(p.cursor, done) : 0, count };
  };
  const ids = new Set(copyUnits.map((u) => u.checkpoint.unitId));
  return [
    ...copyUnits.map((u) => view(u.checkpoint.unitId, u.descriptor?.label ?? u.checkpoint.unitId)),
    ...verify.filter((p) => !ids.has(p.unitId)).map((p) => view(p.unitId, p.unitId)),
  ];
}

/** `expected`: the units of the phase, some perhaps without an item yet (counted as not started). */
function totalOf(views: UnitView[], expected: number): WatchModel['total'] {
  const of = Math.max(views.length, expected);
  const progress = of === 0 ? 0 : views.reduce((n, v) => n + v.progress, 0) / of;
  return { progress, count: views.reduce((n, v) => n + v.count, 0), done: views.filter((v) => v.done).length, of };
}
