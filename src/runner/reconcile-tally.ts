import {
  type CheckpointStore,
  type KeySource,
  type ReconcileCounters,
  sumReconcile,
  type UnitCheckpoint,
  ZERO_RECONCILE,
} from '../core/contracts.js';
import type { DiffOutcome } from '../verify/diffing-sink.js';

/**
 * Keeps a unit's reconcile counts (missing, different, unchanged) in its checkpoint, exactly as the
 * copy loop keeps its own counters: a checkpoint counts the batches the target confirmed up to its
 * cursor, and no others. The copy loop knows batches, the diffing sink knows outcomes, and neither
 * knows the other, so the tally joins them by key: the source wrapper remembers which batch (SCAN's
 * returned cursor) each scanned key Buffer came in, the sink reports outcomes by key, and the store
 * wrapper adds a batch's outcomes to the checkpoint that confirms it (the first save whose cursor is
 * that batch's end or a later batch's: the copy loop merges saves asked for while one is in flight,
 * so one save may confirm several batches). Outcomes of batches written but not confirmed before a
 * crash are never saved; the resumed unit meets those keys again and counts them then.
 */
export class ReconcileTally {
  private readonly batchOf = new WeakMap<Buffer, string>();
  private readonly byBatch = new Map<string, ReconcileCounters>();
  /** The end cursors of the batches scanned and not yet confirmed by a save, in SCAN order (cursors themselves are not ordered). */
  private readonly pending: string[] = [];
  /** Outcomes of keys no batch claimed (none expected): counted with the next save. */
  private unclaimed: ReconcileCounters = { ...ZERO_RECONCILE };

  /** The source, remembering each scanned key's batch. */
  source(inner: KeySource): KeySource {
    return {
      scan: async (cursor) => {
        const page = await inner.scan(cursor);
        for (const key of page.keys) this.batchOf.set(key, page.cursor);
        this.pending.push(page.cursor);
        return page;
      },
      read: (keys) => inner.read(keys),
    };
  }

  /** The diffing sink's (and big-key copier's) outcome for one key. */
  readonly record = (key: Buffer, outcome: DiffOutcome): void => {
    const batch = this.batchOf.get(key);
    let counts = this.unclaimed;
    if (batch !== undefined) {
      counts = this.byBatch.get(batch) ?? { ...ZERO_RECONCILE };
      this.byBatch.set(batch, counts);
    }
    counts.compared++;
    counts[outcome]++;
  };

  /** The store, each save carrying the reconcile counts of the batches confirmed up to its cursor. */
  store(inner: CheckpointStore, start: UnitCheckpoint): CheckpointStore {
    let saved: ReconcileCounters = { ...ZERO_RECONCILE, ...start.reconcile };
    // Where the walk stands: the cursor, or the end ('0' is the start too, until the unit is done).
    const position = (cp: UnitCheckpoint) => (cp.status === 'done' ? 'end' : cp.cursor);
    let at = position(start);
    return {
      loadPlan: () => inner.loadPlan(),
      savePlan: (plan) => inner.savePlan(plan),
      loadUnit: (unitId) => inner.loadUnit(unitId),
      saveUnit: async (checkpoint) => {
        // A save at a new position confirms the batch that ends there; other saves (start, failure) confirm none.
        let next = saved;
        const now = position(checkpoint);
        if (now !== at) {
          const upTo = this.pending.indexOf(checkpoint.cursor);
          const confirmed = upTo >= 0 ? this.pending.splice(0, upTo + 1) : [];
          next = sumReconcile([saved, ...confirmed.map((cursor) => this.byBatch.get(cursor)), this.unclaimed]);
          for (const cursor of confirmed) this.byBatch.delete(cursor);
          this.unclaimed = { ...ZERO_RECONCILE };
        }
        const stored = await inner.saveUnit({ ...checkpoint, reconcile: next });
        saved = next;
        at = now;
        return stored;
      },
    };
  }
}
