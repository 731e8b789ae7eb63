import type { MigrationConfig } from '../core/config.js';
import {
  type BulkWriteObserver,
  type CheckpointStore,
  type MigrationPlan,
  newCheckpoint,
  subtractCounters,
  sumCounters,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
  type UnitCounters,
  type UnitDescriptor,
  ZERO_COUNTERS,
} from '../core/contracts.js';
import { ConfigError, type MigrationError } from '../core/errors.js';
import type { MigrationVerifyResult, VerifyLevel } from '../core/verify-report.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';
import { nodeClients } from '../verify/connections.js';
import { verifyMigration } from '../verify/verify-migration.js';
import { copyUnits } from './copy-units.js';
import { type DeleteEvent, deleteExtraUnits } from './delete-units.js';
import { type FollowControl, followAfterCopy, startFollowing } from './follow/follow-run.js';
import { planMigration } from './plan-migration.js';
import { planTargetUnits } from './plan-units.js';
import { type ReconcileSummary, reconcileSummary } from './reconcile-summary.js';
import type { ReconcileSessionOptions } from './reconcile-wiring.js';
import type { PoolOutcome } from './unit-pool.js';
import type { CopyEvent } from './unit-retries.js';

export type { ReconcileSummary } from './reconcile-summary.js';

export type RunEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; source: SourceLayout; target: TargetLayout }
  | CopyEvent
  | DeleteEvent
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
  /** A reconcile pass: what it found and did (absent for a plain copy). */
  reconcile?: ReconcileSummary;
}

export interface ReconcileRunOptions extends ReconcileSessionOptions {
  /** Delete the target keys (in the selection) the source does not have. @default true */
  delete?: boolean;
  /** Told of the delete pass's source checks and confirmed deletes (see BulkWriteObserver). */
  observer?: BulkWriteObserver;
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
  /**
   * Reconcile instead of copy: each unit writes only the keys that differ (policy `replace`), then,
   * with `delete`, each target unit deletes the keys the source lacks; checkpointed like a copy.
   */
  reconcile?: ReconcileRunOptions;
}

/**
 * The local runner: discovers both sides, plans (or reloads the stored plan and resumes), checks
 * the target before the first write, then copies every unit concurrently up to the configured
 * limit (copy-units.ts) — a reconcile pass diffs every unit, then walks every target unit for keys
 * to delete (delete-units.ts) — and verifies the result when the config asks for it. A unit failing
 * with a retryable error resumes from its checkpoint after a backoff; any other failure stops the
 * other units after their current batch.
 */
export async function runMigration(options: RunMigrationOptions): Promise<MigrationSummary> {
  const { reconcile, store, migrationId } = options;
  if (reconcile && options.config.dryRun)
    throw new ConfigError(['reconcile cannot be a dry run: it reads the target to decide what to write; run verify to see what differs']);
  // A reconcile pass overwrites whatever differs: the target's keys are the ones being replaced.
  const config: MigrationConfig = reconcile ? { ...options.config, onExistingKey: 'replace' } : options.config;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const stopped = () => options.shouldStop?.() ?? false;

  const note = (message: string) => emit({ type: 'note', message });
  const { plan, resumed, source, target } = await planMigration(config, migrationId, store, note, !reconcile);
  emit({ type: 'plan', plan, resumed, source, target });
  const deletes = reconcile !== undefined && reconcile.delete !== false;
  // The target side of the selection (a plan made before target units existed: planned now).
  const walkable = plan.targetUnits ?? planTargetUnits(plan.units, target);
  const targetUnits = deletes ? walkable : [];
  const atStart = await Promise.all([...plan.units, ...targetUnits].map((u) => store.loadUnit(u.id)));
  // A follow run always follows, even when every unit's copy was done by an earlier run.
  const alreadyComplete = !config.follow.enabled && resumed && atStart.every((c) => c?.status === 'done');
  // Subscribed before any copy starts: every write from here on is seen (docs/follow.md).
  const follow = config.follow.enabled
    ? await startFollowing({ config, store, units: plan.units, targetUnits: walkable, atStart, emit, follow: options.follow })
    : undefined;
  try {
    const retries = { config, store, shouldStop: options.shouldStop, maxAttempts: options.maxAttempts ?? 8, sleep: options.sleep, emit };
    const copied = await copyUnits({
      ...retries,
      units: plan.units,
      ...(reconcile ? { reconcile } : {}),
      ...(follow ? { follow: follow.copyHooks() } : {}),
    });
    const followed = follow ? await followAfterCopy(follow, copied, options, emit) : { interrupted: false };
    await follow?.close();
    const units = plan.units.map((unit, i) => ({ unit, checkpoint: copied.checkpoints[i]! }));
    // After the diff, so the pass deletes only what the source lacked once every unit was compared.
    const deleting = targetUnits.length > 0 && !copied.failure && units.every((u) => u.checkpoint.status === 'done') && !stopped();
    if (deleting) emit({ type: 'deleting', units: targetUnits });
    const deleted: PoolOutcome = deleting
      ? await deleteExtraUnits({ ...retries, units: targetUnits, observer: reconcile?.observer })
      : { checkpoints: targetUnits.map((u, i) => atStart[plan.units.length + i] ?? newCheckpoint(u.id)) };
    const deletePass = targetUnits.map((unit, i) => ({ unit, checkpoint: deleted.checkpoints[i]! }));
    const failure = copied.failure ?? followed.failure ?? deleted.failure;
    const allDone = [...units, ...deletePass].every((u) => u.checkpoint.status === 'done') && !followed.interrupted;

    const copyDurationMs = (followed.copyEndedAt ?? performance.now()) - started;
    const totals = sumCounters(units.map((u) => u.checkpoint.counters));
    // Keys kept on purpose (a reconcile pass with --no-delete) are not looked for.
    const extraCheckUnits = config.extraCheck && (!reconcile || deletes) ? walkable : [];
    const verified =
      config.verify !== 'none' && allDone && !failure && !config.dryRun && !alreadyComplete && !stopped()
        ? await verifyCopy(options, config, plan.units, extraCheckUnits, target, totals.skippedTooBig, emit)
        : {};
    return {
      ...verified,
      migrationId,
      status: failure ? 'failed' : allDone ? 'completed' : 'interrupted',
      dryRun: config.dryRun,
      units,
      totals,
      thisRun: subtractCounters(totals, sumCounters(atStart.slice(0, plan.units.length).map((c) => c?.counters ?? ZERO_COUNTERS))),
      alreadyComplete,
      durationMs: performance.now() - started,
      copyDurationMs,
      ...(failure ? { error: failure } : {}),
      ...(reconcile ? { reconcile: reconcileSummary(deletes, [...units, ...deletePass], atStart, deletePass) } : {}),
    };
  } finally {
    await follow?.close();
  }
}

/**
 * The check after a complete copy: the copy units, and the target units walked for extra keys.
 * The copy is done whatever it finds; a check that cannot run (a user without TYPE/PTTL, say) is
 * reported as `verifyError`, not turned into a failed migration.
 */
async function verifyCopy(
  options: RunMigrationOptions,
  config: MigrationConfig,
  units: UnitDescriptor[],
  targetUnits: TargetUnitDescriptor[],
  target: TargetLayout,
  tooBig: number,
  emit: (event: RunEvent) => void,
): Promise<Pick<MigrationSummary, 'verify' | 'verifyError'>> {
  const level = config.verify === 'full' ? 'full' : 'quick';
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
      targetUnits,
      open,
      shouldStop: () => options.shouldStop?.() ?? false,
    });
    return { verify };
  } catch (error) {
    return { verifyError: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}
