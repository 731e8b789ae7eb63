import type { MigrationConfig } from '../core/config.js';
import {
  type CheckpointStore,
  type MigrationPlan,
  subtractCounters,
  sumCounters,
  type UnitCheckpoint,
  type UnitCounters,
  type UnitDescriptor,
  ZERO_COUNTERS,
} from '../core/contracts.js';
import type { MigrationError } from '../core/errors.js';
import type { MigrationVerifyResult, VerifyLevel } from '../core/verify-report.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';
import { nodeClients } from '../verify/connections.js';
import { verifyMigration } from '../verify/verify-migration.js';
import { type CopiedUnits, copyUnits } from './copy-units.js';
import { type FollowControl, followAfterCopy, startFollowing } from './follow/follow-run.js';
import { planMigration } from './plan-migration.js';
import type { CopyEvent } from './unit-retries.js';

export type RunEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; source: SourceLayout; target: TargetLayout }
  | CopyEvent
  | { type: 'verifying'; level: VerifyLevel }
  | { type: 'following'; units: number };

export type RunStatus = 'completed' | 'interrupted' | 'failed';

export interface UnitOutcome {
  unit: UnitDescriptor;
  checkpoint: UnitCheckpoint;
}

export interface MigrationSummary {
  migrationId: string;
  /** The check after the copy (config.verify); absent when skipped. */
  verify?: MigrationVerifyResult;
  /** Why the check after the copy could not run (the copy itself completed). */
  verifyError?: string;
  status: RunStatus;
  dryRun: boolean;
  units: UnitOutcome[];
  /** Counters over the whole migration, across resumes. */
  totals: UnitCounters;
  /** What this run did (totals minus what earlier runs had done). */
  thisRun: UnitCounters;
  /** Every unit was already done when this run started: nothing was copied. */
  alreadyComplete: boolean;
  /** The whole run: discovery, planning, copy and verification. */
  durationMs: number;
  /** Discovery, planning and copy, without the verification after it (the copy rate's clock). */
  copyDurationMs: number;
  /** The first error that failed the run. */
  error?: MigrationError;
}

export interface RunMigrationOptions {
  config: MigrationConfig;
  migrationId: string;
  store: CheckpointStore;
  /** Checked between batches; true stops every unit after its current batch (Ctrl-C). */
  shouldStop?: () => boolean;
  onEvent?: (event: RunEvent) => void;
  /**
   * Attempts in a row, without a batch copied in between, for retryable errors (connection lost,
   * failover); each resumes the checkpoint after a backoff (0.5 s doubling to 30 s). Default 8,
   * about a minute of waiting: long enough for a managed service's failover.
   */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Live migration (config.follow.enabled): when to cut over, and what to show meanwhile. */
  follow?: FollowControl;
}

/**
 * The local runner: discovers both sides, plans (or reloads the stored plan and resumes), checks
 * the target before the first write, then copies every unit concurrently up to the configured
 * limit (copy-units.ts), and verifies the copy when the config asks for it. A unit failing with a
 * retryable error resumes from its checkpoint after a backoff; any other failure stops the other
 * units after their current batch.
 */
export async function runMigration(options: RunMigrationOptions): Promise<MigrationSummary> {
  const { config, store, migrationId } = options;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});

  const { plan, resumed, source, target } = await planMigration(config, migrationId, store, (message) => emit({ type: 'note', message }));
  emit({ type: 'plan', plan, resumed, source, target });
  const atStart = await Promise.all(plan.units.map((u) => store.loadUnit(u.id)));
  // A follow run always follows, even when every unit's copy was done by an earlier run.
  const alreadyComplete = !config.follow.enabled && resumed && atStart.every((c) => c?.status === 'done');
  // Subscribed before any copy starts: every write from here on is seen (docs/follow.md).
  const follow = config.follow.enabled ? await startFollowing({ ...options, units: plan.units, atStart, emit }) : undefined;
  try {
    const copied = await copyUnits({
      config,
      store,
      units: plan.units,
      shouldStop: options.shouldStop,
      maxAttempts: options.maxAttempts ?? 8,
      sleep: options.sleep,
      emit,
      ...(follow ? { follow: follow.copyHooks() } : {}),
    });
    const following = follow ? await followAfterCopy(follow, copied, options, emit) : copied;
    return await finish(options, { plan, target, atStart, alreadyComplete, started, ...following });
  } finally {
    await follow?.close();
  }
}

/** Verifies a complete copy (unless the config says not to) and sums up the run. */
async function finish(
  options: RunMigrationOptions,
  run: CopiedUnits & {
    plan: MigrationPlan;
    target: TargetLayout;
    atStart: (UnitCheckpoint | undefined)[];
    alreadyComplete: boolean;
    started: number;
    /** When the copy ended, before following (performance.now()). */
    copyEndedAt?: number;
  },
): Promise<MigrationSummary> {
  const { config, migrationId } = options;
  const { plan, target, atStart, alreadyComplete, started, checkpoints, failure } = run;
  const emit = options.onEvent ?? (() => {});
  const units = plan.units.map((unit, i) => ({ unit, checkpoint: checkpoints[i]! }));
  const allDone = units.every((u) => u.checkpoint.status === 'done') && !run.interrupted;
  const copyDurationMs = (run.copyEndedAt ?? performance.now()) - started;
  const verified =
    config.verify !== 'none' && allDone && !failure && !config.dryRun && !alreadyComplete && !(options.shouldStop?.() ?? false)
      ? await verifyCopy(options, config.verify, plan.units, target, sumCounters(checkpoints.map((c) => c.counters)).skippedTooBig, emit)
      : {};
  const totals = sumCounters(checkpoints.map((c) => c.counters));
  return {
    ...verified,
    migrationId,
    status: failure ? 'failed' : allDone ? 'completed' : 'interrupted',
    dryRun: config.dryRun,
    units,
    totals,
    thisRun: subtractCounters(totals, sumCounters(atStart.map((c) => c?.counters ?? ZERO_COUNTERS))),
    alreadyComplete,
    durationMs: performance.now() - started,
    copyDurationMs,
    ...(failure ? { error: failure } : {}),
  };
}

/**
 * The check after a complete copy. The copy is done whatever it finds; a check that cannot run
 * (a user without TYPE/PTTL, say) is reported as `verifyError`, not turned into a failed migration.
 */
async function verifyCopy(
  options: RunMigrationOptions,
  level: VerifyLevel,
  units: UnitDescriptor[],
  target: TargetLayout,
  tooBig: number,
  emit: (event: RunEvent) => void,
): Promise<Pick<MigrationSummary, 'verify' | 'verifyError'>> {
  const { config } = options;
  emit({ type: 'verifying', level });
  // Keys skipped as too big (--on-too-big skip) are missing on the target by choice: tolerated.
  if (tooBig > 0) emit({ type: 'note', message: `verification tolerates the ${tooBig} key(s) skipped as too big for the target` });
  const open = nodeClients(config, target.kind);
  try {
    const verify = await verifyMigration({
      config,
      migrationId: options.migrationId,
      level,
      maxMismatches: config.maxMismatches + tooBig,
      bigKeyBytes: config.bigKeyThreshold || undefined,
      units,
      open,
      shouldStop: () => options.shouldStop?.() ?? false,
    });
    return { verify };
  } catch (error) {
    return { verifyError: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
