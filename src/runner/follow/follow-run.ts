import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import type { CheckpointStore, TargetUnitDescriptor, UnitCheckpoint, UnitDescriptor } from '../../core/contracts.js';
import { MigrationError } from '../../core/errors.js';
import { createKeyFilter } from '../../core/key-filter.js';
import type { CopiedUnits } from '../copy-units.js';
import { type CutoverVerdict, FollowPhase, type NotifyRestoreStore } from './follow-phase.js';
import { downtimeGap, type FollowStateStore } from './follow-state.js';
import type { FollowStats } from './follower.js';
import { reconcileUnit } from './reconcile-unit.js';

export interface FollowControl {
  /** True once the user asked for the cutover (Ctrl-C once, `redis-ferry cutover`, a flag file). */
  cutoverRequested: () => boolean;
  /** Called about once a second while following, with every unit's state. */
  onStats?: (stats: { unit: UnitDescriptor; stats: FollowStats }[]) => void;
  /** Called once every unit caught up: the target equals the source as of `verdict.caughtUpAt`. */
  onCaughtUp?: (verdict: CutoverVerdict) => void;
  /** Where notify-keyspace-events values to put back are kept across a killed run. */
  restoreStore?: NotifyRestoreStore;
  /** Where the follow state is kept across a killed run (last time alive, last events, open gaps). */
  stateStore?: FollowStateStore;
}

export interface StartFollowingOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  units: UnitDescriptor[];
  /** The target side: a gap's reconcile deletes what the source lacks in the unit's target db. */
  targetUnits: TargetUnitDescriptor[];
  /** The checkpoints as they stood when the run started: units with progress were copied while no one followed. */
  atStart: (UnitCheckpoint | undefined)[];
  emit: (event: { type: 'note'; message: string }) => void;
  follow?: FollowControl;
}

/**
 * Starts following every unit before any copy begins. A unit that already made progress in an
 * earlier run was not followed while that run was down: it starts with a gap, which a reconcile
 * heals once its copy is done.
 */
export async function startFollowing(options: StartFollowingOptions): Promise<FollowPhase> {
  const { config, store, units } = options;
  const note = (message: string) => options.emit({ type: 'note', message });
  const filter = createKeyFilter(config.filter);
  // The follower's reads have a budget of their own: a stalled copy must not stall the follower.
  const budget = new ByteBudget(DEFAULT_READ_BUDGET_BYTES);
  const phase = new FollowPhase({
    config,
    units,
    filter,
    budget,
    configSet: config.follow.configSet,
    reconcile: (unit, observer, shouldStop) =>
      reconcileUnit({ config, store, unit, targetUnits: options.targetUnits, filter, budget, observer, note, shouldStop }),
    note,
    ...(options.follow?.restoreStore ? { restoreStore: options.follow.restoreStore } : {}),
    ...(options.follow?.stateStore ? { stateStore: options.follow.stateStore } : {}),
  });
  // Read before this run saves its own: the last time the previous run was following.
  const previous = await options.follow?.stateStore?.load().catch(() => undefined);
  try {
    await phase.start();
  } catch (error) {
    await phase.close();
    throw error;
  }
  const resumed = units.filter((_, i) => {
    const before = options.atStart[i];
    return before !== undefined && (before.status === 'done' || before.counters.batches > 0);
  });
  if (previous && resumed.length > 0) {
    note(`the follow run was down from ${previous.savedAt} to now: ${resumed.length} unit(s) are reconciled for that time`);
  }
  for (const unit of resumed) phase.follower(unit.id).openGap(downtimeGap(previous, unit.id));
  return phase;
}

/**
 * After a complete copy: follows until the cutover is asked for, then waits until every unit has
 * caught up. A stop (second Ctrl-C) before that leaves the run interrupted, resumable.
 */
export async function followAfterCopy(
  phase: FollowPhase,
  copied: CopiedUnits,
  options: { config: MigrationConfig; shouldStop?: () => boolean; follow?: FollowControl },
  emit: (event: { type: 'following'; units: number } | { type: 'note'; message: string }) => void,
): Promise<{ failure?: MigrationError; interrupted: boolean; copyEndedAt?: number }> {
  if (copied.failure || !copied.checkpoints.every((c) => c.status === 'done')) return { interrupted: false };
  const copyDone = performance.now();
  // Units an earlier run had finished ran no session here: their copy is done all the same.
  phase.copiesDone();
  emit({ type: 'following', units: copied.checkpoints.length });
  const shouldStop = () => options.shouldStop?.() ?? false;
  try {
    const note = (message: string) => emit({ type: 'note', message });
    const control = options.follow ?? { cutoverRequested: () => false };
    const verdict = await followUntilCutover(phase, options.config, control, shouldStop, note);
    return { interrupted: !verdict, copyEndedAt: copyDone };
  } catch (error) {
    const failure = error instanceof MigrationError ? error : new MigrationError(String(error), { cause: error });
    return { failure, interrupted: false, copyEndedAt: copyDone };
  }
}

/** Follows until the cutover is asked for (or stop), then waits until caught up. Undefined when stopped. */
async function followUntilCutover(
  phase: FollowPhase,
  config: MigrationConfig,
  control: FollowControl,
  shouldStop: () => boolean,
  note: (message: string) => void,
): Promise<CutoverVerdict | undefined> {
  const idleMs = config.follow.cutoverWhenIdleMs;
  const idle = () => idleMs !== undefined && phase.stats().every((s) => s.stats.quietMs >= idleMs);
  let lastStats = 0;
  while (!shouldStop() && !control.cutoverRequested() && !idle()) {
    phase.throwIfFailed();
    if (performance.now() - lastStats >= 1000) {
      control.onStats?.(phase.stats());
      lastStats = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (idle() && !control.cutoverRequested()) {
    const quiet = config.follow.mode === 'rescan' ? 'no pass found a difference' : 'no write arrived';
    note(`${quiet} for ${((idleMs ?? 0) / 1000).toFixed(1)} s on every unit: cutting over (--cutover-when-idle)`);
  }
  const verdict = await phase.cutover(config.follow.quietMs, shouldStop);
  if (verdict) control.onCaughtUp?.(verdict);
  return verdict;
}
