import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import type { ByteBudget } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import {
  type BulkWriteObserver,
  type CheckpointStore,
  newCheckpoint,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
  type UnitDescriptor,
} from '../core/contracts.js';
import { MigrationError } from '../core/errors.js';
import type { KeyFilter } from '../core/key-filter.js';
import type { RateLimiter } from '../core/rate-limiter.js';
import type { ReconcileSessionOptions } from './reconcile-wiring.js';
import { runUnitSession } from './unit-session.js';

/** What copying reports as it goes (part of the runner's RunEvent). */
export type CopyEvent =
  | { type: 'progress'; unit: UnitDescriptor; checkpoint: UnitCheckpoint }
  | { type: 'retry'; unit: UnitDescriptor | TargetUnitDescriptor; attempt: number; delayMs: number; reason: string }
  | { type: 'note'; message: string };

/** How a unit is retried: what every unit this process runs shares. */
export interface RetryContext {
  store: CheckpointStore;
  /** True stops the unit after its current batch, and cuts a backoff short. */
  shouldStop: () => boolean;
  /** Failures in a row, without a batch done in between, after which a retryable error is given up on. */
  maxAttempts: number;
  /** Replaces the backoff's wait (tests); the default wait ends early on a stop. */
  sleep?: (ms: number) => Promise<void>;
  emit: (event: CopyEvent) => void;
}

/** What every unit this process copies shares. */
export interface UnitCopyContext extends RetryContext {
  config: MigrationConfig;
  filter: KeyFilter;
  limiter?: RateLimiter;
  readBudget: ByteBudget;
  /** Reconcile instead of copy (see unit-session.ts). */
  reconcile?: ReconcileSessionOptions;
  /** Follow mode: every session writes with REPLACE and reports its batches to the unit's follower. */
  follow?: {
    session(unit: UnitDescriptor): { policy: 'replace'; observer: BulkWriteObserver };
    /** The session ended: done, or stopped or failed (then its unconfirmed batches are a gap). */
    ended(unit: UnitDescriptor, done: boolean): void;
  };
}

/**
 * Copies one unit from its checkpoint until it is done or told to stop. A retryable error resumes
 * from the checkpoint after a backoff; any other error, or too many failures in a row, is thrown.
 */
export function copyWithRetries(unit: UnitDescriptor, context: UnitCopyContext): Promise<UnitCheckpoint> {
  const { config, store, filter, limiter, readBudget, shouldStop, emit } = context;
  return withRetries(unit, context, (checkpoint) =>
    runUnitSession({
      config,
      unit,
      store,
      checkpoint,
      filter,
      limiter,
      readBudget,
      shouldStop,
      onProgress: (cp) => emit({ type: 'progress', unit, checkpoint: cp }),
      note: (message) => emit({ type: 'note', message }),
      ...(context.reconcile ? { reconcile: context.reconcile } : {}),
      ...context.follow?.session(unit),
    }).then(
      (done) => {
        context.follow?.ended(unit, done.status === 'done');
        return done;
      },
      (error: unknown) => {
        context.follow?.ended(unit, false);
        throw error;
      },
    ),
  );
}

/**
 * Runs `attempt` on a unit (a copy unit, or a target unit of reconcile's delete pass) from its
 * stored checkpoint until it is done or told to stop. A retryable error resumes from the
 * checkpoint after a backoff; any other error, or too many failures in a row, is thrown.
 */
export async function withRetries(
  unit: UnitDescriptor | TargetUnitDescriptor,
  context: RetryContext,
  attempt: (checkpoint: UnitCheckpoint) => Promise<UnitCheckpoint>,
): Promise<UnitCheckpoint> {
  const { store, shouldStop, emit } = context;
  // Attempts count failures in a row without progress: a unit that keeps copying between
  // failovers is never given up on, one stuck on the same error is after `maxAttempts`.
  let failures = 0;
  for (;;) {
    const checkpoint = (await store.loadUnit(unit.id)) ?? newCheckpoint(unit.id);
    if (checkpoint.status === 'done' || shouldStop()) return checkpoint;
    try {
      return await attempt(checkpoint);
    } catch (error) {
      const retryable = error instanceof MigrationError && error.retryable;
      const batchesNow = (await store.loadUnit(unit.id).catch(() => undefined))?.counters.batches ?? checkpoint.counters.batches;
      failures = batchesNow > checkpoint.counters.batches ? 1 : failures + 1;
      if (!retryable || failures >= context.maxAttempts || shouldStop()) throw error;
      const delayMs = backoffDelay(failures, UNIT_RETRY_BACKOFF);
      emit({ type: 'retry', unit, attempt: failures, delayMs, reason: (error as Error).message });
      await pause(delayMs, context);
    }
  }
}

/** Between attempts at a unit: 0.5 s doubling to 30 s, long enough in all for a managed service's failover; jittered. */
const UNIT_RETRY_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, jitter: 0.5 };

/** A backoff can be long (a failover); a stop request (Ctrl-C) must not wait for it. */
async function pause(ms: number, context: RetryContext): Promise<void> {
  if (context.sleep) return context.sleep(ms);
  const until = performance.now() + ms;
  while (!context.shouldStop() && performance.now() < until) {
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(250, until - performance.now())));
  }
}
