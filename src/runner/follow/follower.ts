import type { BulkWriteObserver } from '../../core/contracts.js';
import { MigrationError } from '../../core/errors.js';
import type { ChangeTracker } from '../../core/follow/change-tracker.js';
import type { ReconcileUnitResult } from './reconcile-unit.js';

/** Rescan mode's part of a unit's follow state: its passes. */
export interface RescanStats {
  /** Complete passes since following began. */
  passes: number;
  /** The pass under way, if one is (`final`: started after the cutover request). */
  running?: { pass: number; final: boolean; startedAt: string };
  /** The last complete pass: source keys compared, keys it changed on the target (written or deleted). */
  last?: { pass: number; compared: number; changed: number; durationMs: number; startedAt: string; final: boolean };
  /** When the last pass that found no difference ended (ISO). */
  lastCleanAt?: string;
}

/** A unit's follow state, for progress and the cutover verdict. */
export interface FollowStats {
  events: number;
  applied: number;
  deleted: number;
  pending: number;
  /** Events: age of the oldest change not applied yet. Rescan: age of the start of the last complete pass. */
  lagMs: number;
  gaps: number;
  gapsHealed: number;
  /** Why a gap is open now (undefined when none); a reconcile heals it. */
  gap?: string;
  reconciling: boolean;
  /** Wall-clock time of the last event seen (ISO), if any. */
  lastEventAt?: string;
  /** Events: milliseconds since the last event (or since following began). Rescan: since no pass found a difference. */
  quietMs: number;
  /** Rescan mode only. */
  rescan?: RescanStats;
}

/** One reconcile pass of a unit, reporting its batches to `observer`; `shouldStop` cuts it short. */
export type UnitReconcile = (observer: BulkWriteObserver, shouldStop?: () => boolean) => Promise<ReconcileUnitResult>;

/** What the follow phase needs of a unit's follower, whichever way it follows (events or rescan). */
export interface Follower {
  /** The guard the unit's bulk copy reports its batches to (docs/follow.md, the invariant). */
  readonly tracker: ChangeTracker;
  start(): Promise<void>;
  /** The unit's bulk copy finished (`unconfirmedBatches`: some of its batches may have landed unconfirmed). */
  copyFinished(unconfirmedBatches: boolean): void;
  /** Something may have been missed (the run was down, a batch unconfirmed): the unit must be compared again. */
  openGap(reason: string): void;
  stats(): FollowStats;
  /** The cutover was asked for: the writes to the source have stopped (the user's word). */
  beginCutover(): void;
  /** The target is proven equal to the source, as far as this follower can tell (see docs/follow.md). */
  caughtUp(): boolean;
  /** Every change seen so far is applied (the copy and gaps aside). */
  caughtUpOnEvents(): boolean;
  /** A last look for changes no event announces (flushes) before the verdict. */
  checkFlushes(): Promise<void>;
  throwIfFailed(): void;
  stop(): Promise<void>;
}

/** Whether an error is worth retrying: a lost connection or a failover, not a refusal. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof MigrationError) return error.retryable;
  return /ECONNRESET|ECONNREFUSED|EPIPE|Connection is closed|closed/i.test(String((error as Error)?.message));
}
