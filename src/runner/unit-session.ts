import type { MigrationConfig } from '../core/config.js';
import type { CheckpointStore, UnitCheckpoint, UnitDescriptor } from '../core/contracts.js';
import { copyUnit } from '../core/copy-unit.js';
import type { KeyFilter } from '../core/key-filter.js';
import type { RateLimiter } from '../core/rate-limiter.js';
import { openUnitSource } from '../redis/source-access.js';
import { openTargetDb } from '../redis/target-access.js';

export interface UnitSessionOptions {
  config: MigrationConfig;
  unit: UnitDescriptor;
  store: CheckpointStore;
  /** The checkpoint to continue from, as loaded (and possibly leased) by the caller. */
  checkpoint: UnitCheckpoint;
  filter: KeyFilter;
  limiter?: RateLimiter;
  shouldStop: () => boolean;
  onProgress?: (checkpoint: UnitCheckpoint) => void;
}

/**
 * One attempt at a unit: open its source node and target db, copy from the checkpoint until done
 * or told to stop, close both. The local runner calls it in a retry loop; the `copy` Lambda calls
 * it once per invocation with a deadline-based `shouldStop`.
 */
export async function runUnitSession(options: UnitSessionOptions): Promise<UnitCheckpoint> {
  const { config, unit } = options;
  const opened = await openUnitSource(config.source, unit, config.scan);
  let target: Awaited<ReturnType<typeof openTargetDb>> | undefined;
  try {
    target = config.dryRun ? undefined : await openTargetDb(config.target, unit.targetDb);
    return await copyUnit({
      source: opened.source,
      sink: target?.sink,
      filter: options.filter,
      policy: config.onExistingKey,
      store: options.store,
      checkpoint: options.checkpoint,
      limiter: options.limiter,
      shouldStop: options.shouldStop,
      onProgress: options.onProgress,
    });
  } finally {
    await Promise.all([opened.close(), target?.close()]);
  }
}
