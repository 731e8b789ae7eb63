import { type CheckpointStore, type MigrationPlan, subtractCounters, sumCounters, ZERO_COUNTERS } from '../../core/contracts.js';
import { createKeyFilter } from '../../core/key-filter.js';
import { RateLimiter } from '../../core/rate-limiter.js';
import type { RestoreConfig } from '../../core/restore-config.js';
import type { VerifyLevel } from '../../core/verify-report.js';
import type { TargetLayout } from '../../redis/target-access.js';
import type { MigrationSummary } from '../run-migration.js';
import { runUnitPool } from '../unit-pool.js';
import { type CopyEvent, withRetries } from '../unit-retries.js';
import { planRestore } from './plan-restore.js';
import { type OpenedRdb, openRdb, type RdbLocation } from './rdb-file.js';
import { runRestoreSession } from './restore-session.js';
import { verifyRestore } from './verify-restore.js';

export type RestoreEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; target: TargetLayout; rdb: OpenedRdb }
  | CopyEvent
  | { type: 'verifying'; level: VerifyLevel };

export interface RunRestoreOptions {
  config: RestoreConfig;
  migrationId: string;
  store: CheckpointStore;
  /** Checked between batches; true stops every unit after its current batch (Ctrl-C). */
  shouldStop?: () => boolean;
  onEvent?: (event: RestoreEvent) => void;
  /** Failures in a row (without a batch copied in between) before a retryable error is given up on. @default 8 */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Where the bytes of the file named by config.rdb.uri come from (rdb-file.ts). */
  locate?: (uri: string) => RdbLocation;
}

/**
 * The local restore: opens the file (a missing file or one that is not an RDB file stops here, the
 * target untouched), plans its byte ranges (or reloads the stored plan and resumes), then restores
 * the range units concurrently up to the configured limit with the copy loop, each resuming from
 * its checkpoint after a retryable error, and verifies the target against the file when asked. A
 * unit that fails for good (a corrupt record: the error names its offset) stops the others after
 * their current batch; everything confirmed so far stays checkpointed.
 */
export async function runRestore(options: RunRestoreOptions): Promise<MigrationSummary> {
  const { config, store, migrationId } = options;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const note = (message: string) => emit({ type: 'note', message });
  const stopped = () => options.shouldStop?.() ?? false;

  const rdb = await openRdb(config.rdb.uri, options.locate);
  const { plan, resumed, target } = await planRestore(config, migrationId, store, rdb, note);
  emit({ type: 'plan', plan, resumed, target, rdb });
  const atStart = await Promise.all(plan.units.map((u) => store.loadUnit(u.id)));
  const alreadyComplete = resumed && atStart.every((c) => c?.status === 'done');
  const filter = createKeyFilter(config.filter);
  const limiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined;
  const retries = { store, maxAttempts: options.maxAttempts ?? 8, sleep: options.sleep, emit };
  const copied = await runUnitPool(
    plan.units,
    { concurrency: config.concurrency, store, shouldStop: options.shouldStop },
    (unit, shouldStop) =>
      withRetries(unit, { ...retries, shouldStop }, (checkpoint) =>
        runRestoreSession({
          config,
          rdb,
          unit,
          store,
          checkpoint,
          filter,
          limiter,
          shouldStop,
          onProgress: (cp) => emit({ type: 'progress', unit, checkpoint: cp }),
          note,
        }),
      ),
  );
  const units = plan.units.map((unit, i) => ({ unit, checkpoint: copied.checkpoints[i]! }));
  const allDone = units.every((u) => u.checkpoint.status === 'done');
  const copyDurationMs = performance.now() - started;
  const totals = sumCounters(units.map((u) => u.checkpoint.counters));
  const verifying = config.verify !== 'none' && allDone && !copied.failure && !config.dryRun && !alreadyComplete && !stopped();
  if (verifying) emit({ type: 'verifying', level: config.verify === 'full' ? 'full' : 'quick' });
  const verified = verifying
    ? await verifyRestore({ config, migrationId, rdb, units: plan.units, target, tooBig: totals.skippedTooBig, shouldStop: stopped })
    : {};
  return {
    ...verified,
    migrationId,
    status: copied.failure ? 'failed' : allDone ? 'completed' : 'interrupted',
    dryRun: config.dryRun,
    units,
    totals,
    thisRun: subtractCounters(totals, sumCounters(atStart.map((c) => c?.counters ?? ZERO_COUNTERS))),
    alreadyComplete,
    durationMs: performance.now() - started,
    copyDurationMs,
    ...(copied.failure ? { error: copied.failure } : {}),
  };
}
