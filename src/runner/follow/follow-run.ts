import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import type { CheckpointStore, UnitCheckpoint, UnitDescriptor } from '../../core/contracts.js';
import type { KeyFilter } from '../../core/key-filter.js';
import { type CutoverVerdict, FollowPhase, type NotifyRestoreStore } from './follow-phase.js';
import { reconcileUnit } from './reconcile-unit.js';
import type { FollowStats } from './unit-follower.js';

export interface FollowControl {
  /** True once the user asked for the cutover (Ctrl-C once, `redis-ferry cutover`, a flag file). */
  cutoverRequested: () => boolean;
  /** Called about once a second while following, with every unit's state. */
  onStats?: (stats: { unit: UnitDescriptor; stats: FollowStats }[]) => void;
  /** Called once every unit caught up: the target equals the source as of `verdict.caughtUpAt`. */
  onCaughtUp?: (verdict: CutoverVerdict) => void;
  /** Where notify-keyspace-events values to put back are kept across a killed run. */
  restoreStore?: NotifyRestoreStore;
}

export interface FollowRunOptions {
  config: MigrationConfig;
  store: CheckpointStore;
  units: UnitDescriptor[];
  /** The checkpoints as they stood when the run started: units with progress were copied while no one followed. */
  atStart: (UnitCheckpoint | undefined)[];
  filter: KeyFilter;
  budget: ByteBudget;
  note: (message: string) => void;
  restoreStore?: NotifyRestoreStore;
}

/**
 * Starts following every unit before any copy begins. A unit that already made progress in an
 * earlier run was not followed while that run was down: it starts with a gap, which a reconcile
 * heals once its copy is done.
 */
export async function startFollowing(options: FollowRunOptions): Promise<FollowPhase> {
  const { config, units } = options;
  const phase = new FollowPhase({
    config,
    units,
    filter: options.filter,
    budget: options.budget,
    configSet: config.follow.configSet,
    reconcile: (unit, observer) => reconcileUnit({ ...options, unit, observer }),
    note: options.note,
    ...(options.restoreStore ? { restoreStore: options.restoreStore } : {}),
  });
  try {
    await phase.start();
  } catch (error) {
    await phase.close();
    throw error;
  }
  units.forEach((unit, i) => {
    const before = options.atStart[i];
    if (before && (before.status === 'done' || before.counters.batches > 0)) {
      phase.follower(unit.id).openGap('writes made while no follow run was running were not seen');
    }
  });
  return phase;
}

/** Follows until the cutover is asked for (or stop), then waits until caught up. Undefined when stopped. */
export async function followUntilCutover(
  phase: FollowPhase,
  config: MigrationConfig,
  control: FollowControl,
  shouldStop: () => boolean,
): Promise<CutoverVerdict | undefined> {
  const idleMs = config.follow.cutoverWhenIdleMs;
  const idle = () => idleMs !== undefined && phase.stats().every((s) => s.stats.quietMs >= idleMs);
  let lastStats = 0;
  while (!shouldStop() && !control.cutoverRequested() && !idle()) {
    for (const unit of phase.stats()) phase.follower(unit.unit.id).throwIfFailed();
    if (performance.now() - lastStats >= 1000) {
      control.onStats?.(phase.stats());
      lastStats = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const verdict = await phase.cutover(config.follow.quietMs, shouldStop);
  if (verdict) control.onCaughtUp?.(verdict);
  return verdict;
}
