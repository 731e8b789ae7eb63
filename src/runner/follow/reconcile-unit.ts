import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import { type BulkWriteObserver, type CheckpointStore, newCheckpoint, type UnitDescriptor } from '../../core/contracts.js';
import type { KeyFilter } from '../../core/key-filter.js';
import { runUnitSession } from '../unit-session.js';

export interface ReconcileUnitOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  unit: UnitDescriptor;
  filter: KeyFilter;
  budget: ByteBudget;
  observer: BulkWriteObserver;
  note: (message: string) => void;
}

/**
 * Heals a follow gap on one unit: every source key is copied again with REPLACE (reported to the
 * follower's guard), then target keys the source lacks are deleted.
 */
export async function reconcileUnit(options: ReconcileUnitOptions): Promise<void> {
  const { unit } = options;
  const id = `${unit.id}~reconcile`;
  const stored = await options.store.loadUnit(id);
  const checkpoint = stored && stored.status !== 'done' ? stored : { ...newCheckpoint(id), version: stored?.version ?? 0 };
  await runUnitSession({
    config: options.config,
    unit: { ...unit, id },
    store: options.store,
    checkpoint,
    filter: options.filter,
    readBudget: options.budget,
    shouldStop: () => false,
    note: options.note,
    policy: 'replace',
    observer: options.observer,
  });
}
