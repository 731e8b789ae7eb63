import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import { type CheckpointStore, newCheckpoint, type UnitCheckpoint, type UnitDescriptor } from '../core/contracts.js';
import { MigrationError } from '../core/errors.js';
import { createKeyFilter } from '../core/key-filter.js';
import { RateLimiter } from '../core/rate-limiter.js';
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
  /** A live follower's part in each unit session (follow mode). */
  follow?: UnitCopyContext['follow'];
}

export interface CopiedUnits {
  /** Each unit's checkpoint as the copy left it, in the order of `units`. */
  checkpoints: UnitCheckpoint[];
  /** The first error that failed a unit; the other units stopped after their current batch. */
  failure?: MigrationError;
  /** Stopped before the end (a follow run stopped before its cutover); the copy itself may be complete. */
  interrupted?: boolean;
}

/**
 * Copies the units concurrently, up to the configured limit, sharing one key filter, one rate
 * limiter and one read budget. The first unit that fails for good stops the others.
 */
export async function copyUnits(options: CopyUnitsOptions): Promise<CopiedUnits> {
  const { config, store } = options;
  let failure: MigrationError | undefined;
  const context: UnitCopyContext = {
    config,
    store,
    maxAttempts: options.maxAttempts,
    sleep: options.sleep,
    emit: options.emit,
    filter: createKeyFilter(config.filter),
    limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined,
    // One bound on payload bytes in memory for every unit this process copies at once.
    readBudget: new ByteBudget(DEFAULT_READ_BUDGET_BYTES),
    shouldStop: () => failure !== undefined || (options.shouldStop?.() ?? false),
    ...(options.follow ? { follow: options.follow } : {}),
  };
  const outcomes = new Map<string, UnitCheckpoint>();
  const queue = [...options.units];
  const workers = Math.min(queue.length, config.concurrency > 0 ? config.concurrency : queue.length);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        try {
          outcomes.set(unit.id, await copyWithRetries(unit, context));
        } catch (error) {
          failure ??=
            error instanceof MigrationError ? error : new MigrationError(String((error as Error)?.message ?? error), { cause: error });
          outcomes.set(unit.id, (await store.loadUnit(unit.id).catch(() => undefined)) ?? newCheckpoint(unit.id));
        }
      }
    }),
  );
  return { checkpoints: options.units.map((unit) => outcomes.get(unit.id) ?? newCheckpoint(unit.id)), ...(failure ? { failure } : {}) };
}
