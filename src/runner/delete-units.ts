import type { MigrationConfig } from '../core/config.js';
import type { BulkWriteObserver, CheckpointStore, TargetUnitDescriptor, UnitCheckpoint } from '../core/contracts.js';
import { createKeyFilter } from '../core/key-filter.js';
import { runDeleteSession } from './delete-session.js';
import { type PoolOutcome, runUnitPool } from './unit-pool.js';
import { type CopyEvent, withRetries } from './unit-retries.js';

/** What reconcile's delete pass reports as it goes (part of the runner's RunEvent). */
export type DeleteEvent =
  | { type: 'deleting'; units: TargetUnitDescriptor[] }
  | { type: 'target-progress'; unit: TargetUnitDescriptor; checkpoint: UnitCheckpoint };

export interface DeleteUnitsOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  units: readonly TargetUnitDescriptor[];
  /** Checked between batches; true stops every unit after its current batch (Ctrl-C). */
  shouldStop?: () => boolean;
  maxAttempts: number;
  sleep?: (ms: number) => Promise<void>;
  emit: (event: CopyEvent | DeleteEvent) => void;
  /** Told of each source check and each confirmed delete batch (a change follower). */
  observer?: BulkWriteObserver;
}

/**
 * Reconcile's delete pass: walks the target units concurrently, up to the configured limit, each
 * deleting the keys in the selection the source lacks (delete-session.ts), retried like a copy
 * unit. The first unit that fails for good stops the others.
 */
export async function deleteExtraUnits(options: DeleteUnitsOptions): Promise<PoolOutcome> {
  const { config, store, emit } = options;
  const filter = createKeyFilter(config.filter);
  const note = (message: string) => emit({ type: 'note', message });
  return runUnitPool(options.units, { concurrency: config.concurrency, store, shouldStop: options.shouldStop }, (unit, shouldStop) =>
    withRetries(unit, { ...options, shouldStop }, (checkpoint) =>
      runDeleteSession({
        ...{ config, unit, store, checkpoint, filter, shouldStop, note, observer: options.observer },
        onProgress: (cp) => emit({ type: 'target-progress', unit, checkpoint: cp }),
      }),
    ),
  );
}
