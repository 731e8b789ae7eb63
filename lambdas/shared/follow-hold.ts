import { type DynamoFollowState, type FollowProgress, type FollowRecord, readCutoverRequest } from '../../src/checkpoint/dynamo-follow.js';
import type { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { FollowerKilledError } from '../../src/cloud/cloud-errors.js';
import { followFaults } from '../../src/cloud/follow-faults.js';
import type { FollowTimings } from '../../src/cloud/follow-timing.js';
import type { MigrationConfig } from '../../src/core/config.js';
import type { UnitDescriptor } from '../../src/core/contracts.js';
import type { KeyFilter } from '../../src/core/key-filter.js';
import { RateLimiter } from '../../src/core/rate-limiter.js';
import type { FollowStats, UnitFollower } from '../../src/runner/follow/unit-follower.js';
import { runUnitSession } from '../../src/runner/unit-session.js';
import { followMeter } from './follow-metering.js';
import type { TaskDeps } from './task-deps.js';

/** Everything a holding follower invocation works with. */
export interface FollowContext {
  ids: { migrationId: string; runId: string; unitId: string; lane: string };
  deps: TaskDeps;
  state: DynamoFollowState;
  /** This invocation: `<runId>/<request id>`. */
  me: string;
  t: FollowTimings;
  /** Aborted when the run's claim is lost. */
  signal: AbortSignal;
  config: MigrationConfig;
  store: DynamoCheckpointStore;
  unit: UnitDescriptor;
  filter: KeyFilter;
  follower: UnitFollower;
  /** Units followed at once: the rate limit is split across them. */
  units: number;
}

interface HoldOutcome {
  /** A gap to leave on the item for the next holder. */
  gap?: string;
  /** The cutover found the unit caught up as of this time. */
  caughtUpAt?: string;
}

/**
 * Holds the unit: applies changes (the follower was subscribed before it took over), runs the
 * unit's copy while it is not done — its batches marked by this follower's own guard, so no copy
 * write can stay stale (docs/follow.md) — heals gaps, and every tick renews the lease, stores the
 * progress and reads the cutover flag. Hands over at `releaseAt` once a standby is subscribed (or
 * at the deadline, leaving a gap), or finishes once the cutover found the unit caught up.
 */
export async function holdUnit(ctx: FollowContext, taken: FollowRecord): Promise<{ finished: boolean; wakeAt?: number }> {
  const { follower } = ctx;
  follower.beginApplying();
  if (taken.gap) follower.openGap(taken.gap);
  let stopCopy = false;
  let copyError: unknown;
  const copying = copyWhileHolding(ctx, () => stopCopy || ctx.signal.aborted).catch((error: unknown) => {
    copyError = error;
  });
  let outcome: HoldOutcome;
  const meter = followMeter(ctx.deps.metrics, ctx.ids);
  try {
    outcome = await holdLoop(ctx, taken, () => copyError, meter);
  } catch (error) {
    if ((error as Error)?.name !== 'CheckpointConflictError') throw error;
    // Fenced out: a standby took the unit over after this holder's lease lapsed (it was too slow
    // to renew it). It stops at once and writes nothing more; the new holder heals the gap.
    ctx.deps.log.warn('follower fenced out: another invocation holds the unit', { unitId: ctx.ids.unitId });
    await follower.stop();
    return { finished: false, wakeAt: await nextWake(ctx) };
  } finally {
    stopCopy = true;
  }
  await copying;
  ctx.deps.log.info('follow: handing over', { unitId: ctx.ids.unitId, lane: ctx.ids.lane, ...outcome });
  await follower.release();
  const stats = follower.stats();
  meter(stats, Date.now(), true);
  const gap = outcome.gap ?? stats.gap;
  await ctx.state.release(progressOf(taken, stats), {
    ...(gap ? { gap } : {}),
    ...(outcome.caughtUpAt ? { caughtUpAt: outcome.caughtUpAt } : {}),
  });
  if (copyError) throw copyError;
  if (outcome.caughtUpAt) return { finished: true };
  return { finished: false, wakeAt: await nextWake(ctx) };
}

async function holdLoop(
  ctx: FollowContext,
  taken: FollowRecord,
  copyFailed: () => unknown,
  meter: ReturnType<typeof followMeter>,
): Promise<HoldOutcome> {
  const { follower, state, t, ids } = ctx;
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    follower.throwIfFailed();
    const failed = copyFailed();
    if (failed) return { gap: `the copy stopped on an error (${(failed as Error).message})` };
    const stats = follower.stats();
    if (followFaults()?.killHolder(ids.unitId, ctx.me, stats)) {
      // As a Lambda that dies: the subscription and connections drop, nothing more is written.
      void follower.stop();
      throw new FollowerKilledError(ids.unitId);
    }
    const now = Date.now();
    const seen = await state.heartbeat(progressOf(taken, stats), now + t.leaseMs);
    meter(stats, now);
    if (await cutoverAsked(ctx, stats)) {
      const caughtUpAt = await verdict(ctx, taken);
      if (caughtUpAt) return { caughtUpAt };
    }
    if (now >= (taken.releaseAt ?? 0) && seen.standby !== undefined && seen.standby !== ctx.me) return {};
    if (now >= t.hardEnd) return { gap: `no follower was subscribed to take over when ${ctx.me} had to leave` };
    await new Promise((resolve) => setTimeout(resolve, t.tickMs));
  }
}

/** The cutover flag is set, or (cutoverWhenIdleMs) no event arrived for that long. */
async function cutoverAsked(ctx: FollowContext, stats: FollowStats): Promise<boolean> {
  const idleMs = ctx.config.follow.cutoverWhenIdleMs;
  if (idleMs !== undefined && stats.quietMs >= idleMs) return true;
  return (await readCutoverRequest(ctx.deps.dynamo, ctx.deps.settings.tableName, ctx.ids.migrationId)) !== undefined;
}

/**
 * The cutover's verdict on this unit: copied, no gap, nothing pending, subscribed, quiet for the
 * quiet period, and no flush since the last INFO reading. Undefined while that does not hold yet.
 */
async function verdict(ctx: FollowContext, taken: FollowRecord): Promise<string | undefined> {
  const { follower, config } = ctx;
  if (!follower.caughtUp() || follower.stats().quietMs < config.follow.quietMs) return undefined;
  await follower.checkFlushes();
  if (!follower.caughtUp()) return undefined;
  return follower.stats().lastEventAt ?? taken.lastEventAt ?? new Date(taken.activeSince ?? Date.now()).toISOString();
}

/**
 * The unit's copy, while it is not done, under this follower's guard (REPLACE writes: a key the
 * follower wrote first is the migration's own). A copy that stops with a batch unconfirmed leaves a gap.
 */
async function copyWhileHolding(ctx: FollowContext, stop: () => boolean): Promise<void> {
  const { store, follower, unit, config } = ctx;
  const before = await store.acquireUnit(unit.id, { evictOtherRuns: true });
  if (before.status === 'done') {
    follower.copyFinished(false);
    return;
  }
  try {
    const after = await runUnitSession({
      config,
      unit,
      store,
      checkpoint: before,
      filter: ctx.filter,
      limiter: config.rateLimit > 0 ? new RateLimiter(config.rateLimit / Math.max(1, ctx.units)) : undefined,
      shouldStop: stop,
      note: (message) => ctx.deps.log.info(message, { migrationId: ctx.ids.migrationId, unitId: unit.id }),
      policy: 'replace',
      observer: follower.tracker,
    });
    const unconfirmed = follower.tracker.bulkPassEnded();
    if (after.status === 'done') follower.copyFinished(unconfirmed);
    else if (unconfirmed) follower.openGap('a copy batch was sent but never confirmed');
  } catch (error) {
    if (follower.tracker.bulkPassEnded()) follower.openGap('a copy batch was sent but never confirmed');
    throw error;
  }
}

/** The item's counters plus this invocation's (a gap carried over from the item is counted once). */
function progressOf(taken: FollowRecord, s: FollowStats): FollowProgress {
  const carried = taken.gap ? 1 : 0;
  return {
    events: taken.events + s.events,
    applied: taken.applied + s.applied,
    deleted: taken.deleted + s.deleted,
    gaps: taken.gaps + Math.max(0, s.gaps - carried),
    gapsHealed: taken.gapsHealed + s.gapsHealed,
    handovers: taken.handovers,
    pending: s.pending,
    lagMs: Math.round(s.lagMs),
    ...((s.lastEventAt ?? taken.lastEventAt) ? { lastEventAt: s.lastEventAt ?? taken.lastEventAt } : {}),
  };
}

/** When this lane should come back: a lead before the new holder's hand-over (it takes over within a poll or two). */
async function nextWake(ctx: FollowContext): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const seen = await ctx.state.load();
    if (seen?.finished || seen?.error) return Date.now();
    if (seen?.holder && seen.holder !== ctx.me && seen.releaseAt !== undefined) return Math.max(Date.now(), seen.releaseAt - ctx.t.leadMs);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now();
}
