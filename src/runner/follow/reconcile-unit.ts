import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import {
  type BulkWriteObserver,
  type CheckpointStore,
  newCheckpoint,
  type ReconcileCounters,
  sumReconcile,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
  type UnitDescriptor,
} from '../../core/contracts.js';
import type { KeyFilter } from '../../core/key-filter.js';
import { keySlot } from '../../redis/key-slot.js';
import { runDeleteSession } from '../delete-session.js';
import { runUnitSession } from '../unit-session.js';

export interface ReconcileUnitOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  unit: UnitDescriptor;
  /** The target side of the migration: the delete pass walks those that `unit` writes into. */
  targetUnits: TargetUnitDescriptor[];
  filter: KeyFilter;
  budget: ByteBudget;
  observer: BulkWriteObserver;
  note: (message: string) => void;
  /** Checked between batches: true ends the pass early (then its counts are partial, and no delete half runs). */
  shouldStop?: () => boolean;
}

/** What one pass found: its counts, and whether it went through to the end. */
export interface ReconcileUnitResult {
  counts: ReconcileCounters;
  complete: boolean;
}

/**
 * Heals a follow gap on one unit with a reconcile pass: the unit's source keys are compared with
 * the target and only what differs is written (REPLACE), then the target keys of the unit's scope
 * that the source lacks are deleted. Both halves report to the follower's guard (`observer`), so a
 * key that changes meanwhile is copied again after the pass wrote it. Always a whole pass from
 * cursor 0: a gap may hide a change anywhere in the unit, whatever an earlier pass had reached.
 */
export async function reconcileUnit(options: ReconcileUnitOptions): Promise<ReconcileUnitResult> {
  const { config, store, unit, observer, note } = options;
  const shouldStop = options.shouldStop ?? (() => false);
  const fresh = async (id: string): Promise<UnitCheckpoint> => {
    const stored = await store.loadUnit(id);
    return { ...newCheckpoint(id), version: stored?.version ?? 0 };
  };
  const id = `${unit.id}~follow-reconcile`;
  const diffed = await runUnitSession({
    config,
    unit: { ...unit, id },
    store,
    checkpoint: await fresh(id),
    filter: options.filter,
    readBudget: options.budget,
    shouldStop,
    note,
    policy: 'replace',
    observer,
    reconcile: {},
  });
  const parts = [diffed];
  // A diff cut short must not delete: the source keys it did not reach are not known to exist.
  if (diffed.status !== 'done') return { counts: sumReconcile(parts.map((p) => p.reconcile)), complete: false };
  const scoped = inUnitScope(options.filter, unit);
  for (const target of options.targetUnits.filter((t) => t.targetDb === unit.targetDb)) {
    const deleteId = `${target.id}~follow-delete~${unit.id}`;
    const deleted = await runDeleteSession({
      config,
      unit: { ...target, id: deleteId },
      store,
      checkpoint: await fresh(deleteId),
      filter: scoped,
      shouldStop,
      note,
      observer,
    });
    parts.push(deleted);
  }
  return { counts: sumReconcile(parts.map((p) => p.reconcile)), complete: parts.every((p) => p.status === 'done') };
}

/** The key filter, narrowed to the slots of a cluster source's shard: other shards' keys are theirs. */
function inUnitScope(filter: KeyFilter, unit: UnitDescriptor): KeyFilter {
  const slots = unit.slots;
  if (!slots) return filter;
  const inSlots = (key: Buffer) => {
    const slot = keySlot(key);
    return slots.some(([from, to]) => slot >= from && slot <= to);
  };
  return {
    passesAll: false,
    allowsDb: (db) => filter.allowsDb(db),
    allowsKey: (key) => inSlots(key) && (filter.passesAll || filter.allowsKey(key)),
  };
}
