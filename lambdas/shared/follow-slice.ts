import { DynamoFollowState, type FollowRecord } from '../../src/checkpoint/dynamo-follow.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { FollowerKilledError } from '../../src/cloud/cloud-errors.js';
import { earlyWake, type FollowTimings, followTimings, laneExecutionName } from '../../src/cloud/follow-timing.js';
import { runSlice } from '../../src/cloud/slice-runner.js';
import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../../src/core/byte-budget.js';
import { MigrationError } from '../../src/core/errors.js';
import { createKeyFilter } from '../../src/core/key-filter.js';
import { notifyFlagsError, readNotifyConfig } from '../../src/redis/notify-config.js';
import { followSelection } from '../../src/runner/follow/apply-changes.js';
import { reconcileUnit } from '../../src/runner/follow/reconcile-unit.js';
import { UnitFollower } from '../../src/runner/follow/unit-follower.js';
import { type FollowContext, holdUnit } from './follow-hold.js';
import { nextSliceCount, plannedUnit, type SliceInvocation, sliceOptions } from './slice-task.js';
import { openMigration, requireStrings, resolveConfig, type TaskDeps } from './task-deps.js';

/** One turn of a unit's follow lane. */
export interface FollowEvent {
  migrationId: string;
  runId: string;
  unitId: string;
  /** `a` or `b`: the unit's two lanes of invocations, which hand the unit over to each other. */
  lane: string;
  /** Which execution of the lane this is (a lane continues as a new execution after its slice budget). */
  laneRound?: number;
  slices?: number;
}

/** For the lane's Choice and Wait: finished, or when to come again; and the lane's next execution. */
export interface FollowResult {
  migrationId: string;
  runId: string;
  unitId: string;
  lane: string;
  laneRound: number;
  slices: number;
  /** The unit's following is over (cut over, or stopped by a recorded failure): the lane ends. */
  done: boolean;
  /** When the lane's next invocation should start (ISO), for the Wait state. */
  wakeAt: string;
  nextLaneRound: number;
  nextLaneName: string;
}

/**
 * One follower invocation of a unit (docs/serverless.md, "Follow phase"). It arrives a lead before
 * the holder's planned hand-over (or returns at once with the time to come back), subscribes,
 * registers as standby, and takes the unit over when the holder released it — or, with a gap,
 * once the holder's lease lapsed. It then holds the unit (follow-hold.ts) and hands over in turn.
 */
export async function followSlice(event: FollowEvent, deps: TaskDeps, invocation: SliceInvocation): Promise<FollowResult> {
  const ids = requireStrings(event, 'follow', ['migrationId', 'runId', 'unitId', 'lane'] as const);
  const laneRound = typeof event.laneRound === 'number' ? event.laneRound : 0;
  const slices = nextSliceCount(event);
  const result = (done: boolean, wakeAt = Date.now()): FollowResult => ({
    ...ids,
    laneRound,
    slices,
    done,
    wakeAt: new Date(wakeAt).toISOString(),
    nextLaneRound: laneRound + 1,
    nextLaneName: laneExecutionName(ids.runId, ids.unitId, ids.lane, laneRound + 1),
  });
  const me = `${ids.runId}/${invocation.requestId}`;
  const state = new DynamoFollowState(deps.dynamo, deps.settings.tableName, ids.migrationId, ids.unitId, me, ids.lane);
  const { value } = await runSlice(sliceOptions(deps, invocation, ids, undefined), async (slice) => {
    slice.progressed(); // the deadline is the follower's own (hardEnd): nothing to advance first
    const t = followTimings(deps.settings, slice.deadline, Date.now());
    const seen = await state.load();
    if (seen?.finished || seen?.error) return result(true);
    const early = earlyWake(seen, ids.lane, t, Date.now());
    if (early !== undefined) {
      deps.log.info('follow: too early, the other lane holds the unit', {
        unitId: ids.unitId,
        lane: ids.lane,
        wakeAt: new Date(early).toISOString(),
      });
      return result(false, early);
    }
    try {
      const outcome = await follow({ ids, deps, state, me, t, signal: slice.signal, requestId: invocation.requestId });
      return result(outcome.finished, outcome.wakeAt);
    } catch (error) {
      // A failure that retrying cannot fix stops the unit's following: recorded, the report fails the run with it.
      // A killed follower (fault injection) writes nothing more, as a crashed Lambda.
      const passing =
        error instanceof FollowerKilledError ||
        (error instanceof MigrationError && (error.retryable || error.name === 'CheckpointConflictError'));
      if (!passing) await state.fail({ name: (error as Error).name, message: (error as Error).message }).catch(() => undefined);
      throw error;
    }
  });
  return value;
}

interface FollowRun {
  ids: { migrationId: string; runId: string; unitId: string; lane: string };
  deps: TaskDeps;
  state: DynamoFollowState;
  me: string;
  t: FollowTimings;
  signal: AbortSignal;
  requestId: string;
}

/** Subscribes, waits to hold the unit, holds it; the follower is always stopped on the way out. */
async function follow(run: FollowRun): Promise<{ finished: boolean; wakeAt?: number }> {
  const { ids, deps } = run;
  const { cloud, record } = await openMigration(deps, ids.migrationId, ids.runId);
  const config = await resolveConfig(cloud, deps.resolveSecret);
  const store = new DynamoCheckpointStore(deps.dynamo, deps.settings.tableName, ids.migrationId, {
    owner: run.me,
    runId: ids.runId,
    leaseMs: deps.settings.leaseMs,
  });
  const unit = await plannedUnit(store, ids);
  const filter = createKeyFilter(config.filter);
  const budget = new ByteBudget(DEFAULT_READ_BUDGET_BYTES);
  const note = (message: string) => deps.log.info(message, { migrationId: ids.migrationId, unitId: ids.unitId, lane: ids.lane });
  const follower = new UnitFollower({
    config,
    unit,
    budget,
    selected: followSelection(config, filter),
    holdApplies: true,
    note,
    watchIntervalMs: Math.max(250, Math.min(1_000, run.t.tickMs)),
    // A reconcile pass is always whole (from cursor 0): its progress need not outlive the invocation.
    reconcile: (observer) =>
      reconcileUnit({
        config,
        store: new MemoryCheckpointStore(),
        unit,
        targetUnits: record.targetUnits ?? [],
        filter,
        budget,
        observer,
        note,
      }),
    // On AWS the flags come from the parameter group: check them, never set them.
    prepareNode: async (client, address) => {
      const check = await readNotifyConfig(client);
      if (check.kind !== 'ok') throw notifyFlagsError(address, check);
    },
  });
  let released = false;
  try {
    await follower.start();
    deps.log.info('follow: subscribed, standing by', { unitId: ids.unitId, lane: ids.lane });
    const holding = await waitToHold(run, follower);
    if (!('record' in holding)) return holding;
    deps.log.info('follow: holding the unit', {
      unitId: ids.unitId,
      lane: ids.lane,
      releaseAt: new Date(holding.record.releaseAt ?? 0).toISOString(),
      ...(holding.record.gap ? { gap: holding.record.gap } : {}),
    });
    const ctx: FollowContext = { ...run, config, store, unit, filter, follower, units: record.unitIds?.length ?? 1 };
    const outcome = await holdUnit(ctx, holding.record);
    released = true;
    return outcome;
  } finally {
    if (!released) await follower.stop();
  }
}

/**
 * Registers as standby (already subscribed) and polls the follow item until the unit is free: the
 * holder released it, or its lease lapsed (a gap: it may have died with changes unapplied). Returns
 * the item as this invocation took it, or when to come back (another took it first, or time ran out).
 */
async function waitToHold(
  run: FollowRun,
  follower: UnitFollower,
): Promise<{ record: FollowRecord } | { finished: boolean; wakeAt?: number }> {
  const { state, t, ids } = run;
  await state.standBy(Date.now());
  const poll = Math.max(20, Math.min(250, t.tickMs));
  for (;;) {
    follower.throwIfFailed();
    if (run.signal.aborted) throw run.signal.reason;
    const seen = await state.load();
    const now = Date.now();
    if (seen?.finished || seen?.error) return { finished: true };
    if (seen?.holder === undefined || (seen.leaseUntil ?? 0) < now) {
      const gap =
        seen?.holder === undefined
          ? undefined
          : `follower ${seen.holder} stopped renewing its lease (it died or lost contact): its unapplied changes may be lost`;
      try {
        const releaseAt = Math.min(now + t.activeMs, t.hardEnd - t.leadMs);
        return { record: await state.takeOver(seen, { releaseAt, leaseUntil: now + t.leaseMs, ...(gap ? { gap } : {}) }) };
      } catch (error) {
        if ((error as Error)?.name !== 'CheckpointConflictError') throw error;
        continue; // another standby took it first
      }
    }
    const early = earlyWake(seen, ids.lane, t, now);
    if (early !== undefined || now >= t.hardEnd) return { finished: false, wakeAt: early ?? now };
    // A take-over clears the standby: stand by again, so the holder knows it can hand over.
    if (seen.standby !== run.me) await state.standBy(now);
    await new Promise((resolve) => setTimeout(resolve, poll));
  }
}
