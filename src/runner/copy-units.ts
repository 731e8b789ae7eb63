import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import type { CheckpointStore, UnitDescriptor } from '../core/contracts.js';
import { createKeyFilter } from '../core/key-filter.js';
import { RateLimiter } from '../core/rate-limiter.js';
import type { ReconcileSessionOptions } from './reconcile-wiring.js';
import { type PoolOutcome, runUnitPool } from './unit-pool.js';
import { type CopyEvent, copyWithRetries, type UnitCopyContext } from './unit-retries.js';

export interface CopyUnitsOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  units: readonly UnitDescriptor[];
  /** Checked between batches; true stops every unit after its current batch (Ctrl-C). */
  shouldStop?: () => boolean;
  maxAttempts: number;
  sleep?: (ms: number) => Promise<void>;
  emit: (event: CopyEvent) => void;
  /** Reconcile instead of copy: each unit writes only the keys that differ (see unit-session.ts). */
  reconcile?: ReconcileSessionOptions;
  /** A live follower's part in each unit session (follow mode). */
  follow?: UnitCopyContext['follow'];
}

/** Each unit's checkpoint as the copy left it, and the first error that failed a unit. */
export type CopiedUnits = PoolOutcome;

/**
 * Copies the units concurrently, up to the configured limit (unit-pool.ts), sharing one key
 * filter, one rate limiter and one read budget. The first unit that fails for good stops the others.
 */
export async function copyUnits(options: CopyUnitsOptions): Promise<CopiedUnits> {
  const { config, store } = options;
  const shared: Omit<UnitCopyContext, 'shouldStop'> = {
    config,
    store,
    maxAttempts: options.maxAttempts,
    sleep: options.sleep,
    emit: options.emit,
    filter: createKeyFilter(config.filter),
    limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined,
    // One bound on payload bytes in memory for every unit this process copies at once.
    readBudget: new ByteBudget(DEFAULT_READ_BUDGET_BYTES),
    ...(options.reconcile ? { reconcile: options.reconcile } : {}),
    ...(options.follow ? { follow: options.follow } : {}),
  };
  return runUnitPool(options.units, { concurrency: config.concurrency, store, shouldStop: options.shouldStop }, (unit, shouldStop) =>
    copyWithRetries(unit, { ...shared, shouldStop }),
  );
}
