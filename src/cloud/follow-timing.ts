import { createHash } from 'node:crypto';
import { MAX_EXECUTION_NAME } from './execution-names.js';

/**
 * The clock of the serverless follow phase (docs/serverless.md, "Follow phase"): each unit has two
 * lanes of follower invocations; the one holding the unit hands over at `releaseAt` to the other
 * lane's invocation, which arrived `leadMs` before it and has been subscribed since.
 */
export interface FollowTimings {
  /** When the invocation must have left (its remaining time less the safety margin), epoch ms. */
  hardEnd: number;
  /** How long a holder holds before it hands over (its active period). */
  activeMs: number;
  /** How early the next follower arrives and subscribes before the holder's planned hand-over. */
  leadMs: number;
  /** How often a holder renews its lease, stores its progress and reads the cutover flag. */
  tickMs: number;
  /** How long a lease outlives its last renewal: a holder silent for that long is taken over, with a gap. */
  leaseMs: number;
}

export function followTimings(
  settings: { followTimeBudgetMs?: number; followLeadMs: number; followTickMs: number },
  hardEnd: number,
  now: number,
): FollowTimings {
  const tickMs = settings.followTickMs;
  const leadMs = settings.followLeadMs;
  // A holder takes over about `leadMs` after arriving, and keeps `leadMs` at the end to hand over in.
  const room = Math.max(tickMs, hardEnd - now - 2 * leadMs);
  const activeMs = Math.min(room, settings.followTimeBudgetMs ?? room);
  // Several missed renewals before a standby may take over: a slow DynamoDB call or a busy event loop is no death.
  return { hardEnd, activeMs, leadMs, tickMs, leaseMs: Math.max(5 * tickMs, 3_000) };
}

/** What a lane's invocation sees of the unit's holder. */
export interface HolderView {
  holder?: string;
  holderLane?: string;
  releaseAt?: number;
  leaseUntil?: number;
}

/**
 * When this lane's next invocation should come, if it arrived too early: the other lane holds the
 * unit, its lease is live and its hand-over is more than half a lead away. Undefined: stay.
 */
export function earlyWake(seen: HolderView | undefined, lane: string, t: FollowTimings, now: number): number | undefined {
  if (!seen?.holder || seen.holderLane === lane || seen.releaseAt === undefined) return undefined;
  if ((seen.leaseUntil ?? 0) < now) return undefined;
  const wake = seen.releaseAt - t.leadMs;
  return wake > now + t.leadMs / 2 ? wake : undefined;
}

/** The two lanes of every followed unit. */
export const FOLLOW_LANES = ['a', 'b'] as const;

/**
 * Name of a lane's execution: round `laneRound` of lane `lane` of `unitId` in run `runId`. Unique
 * per run (hash of the full names), readable, at most 80 characters, only [A-Za-z0-9-_].
 */
export function laneExecutionName(runId: string, unitId: string, lane: string, laneRound: number): string {
  const hash = createHash('sha256').update(`${runId}\n${unitId}`).digest('hex').slice(0, 10);
  const suffix = `-f${hash}-${lane}${laneRound}`;
  return `${runId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_EXECUTION_NAME - suffix.length)}${suffix}`;
}
