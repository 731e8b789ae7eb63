import { SliceDeadlineError } from './cloud-errors.js';
import { sliceDeadline } from './slice-deadline.js';

/** How often a slice renews the run's claim on the migration (well inside the claim's TTL). */
export const HEARTBEAT_EVERY_MS = 60_000;

export interface SliceOptions {
  /** context.getRemainingTimeInMillis() as the slice starts. */
  remainingMs: number;
  /** Time kept free at the end for the work in hand, the last checkpoint and the return. */
  safetyMarginMs: number;
  /** Optional cap on the slice (COPY_TIME_BUDGET_MS, the event's timeBudgetMs). */
  budgetMs?: number;
  /** Renews the run's claim; rejects (CheckpointConflictError) once the run no longer holds it. */
  renewClaim: () => Promise<unknown>;
  /** @default HEARTBEAT_EVERY_MS */
  heartbeatEveryMs?: number;
}

/** What the work of a slice is given. */
export interface SliceControl {
  /** Epoch ms after which the work should hand over (return what it reached). */
  readonly deadline: number;
  /**
   * Aborted when the work must stop: the claim is lost (the reason is the renewal's error), or the
   * deadline has passed and the work has made progress (the reason is a SliceDeadlineError, which
   * the work should not throw: it returns what it reached). For work that waits rather than loops
   * (a subscription); loops between batches ask shouldStop().
   */
  readonly signal: AbortSignal;
  /** Whether the work must stop now: the signal, with the deadline checked against the clock. */
  shouldStop(): boolean;
  /**
   * The work made progress (a batch checkpointed). The deadline stops the work only after its first
   * progress, so every slice advances; work with nothing to advance calls it at once.
   */
  progressed(): void;
}

export interface SliceRun<T> {
  /** What the work returned. */
  value: T;
  /** The deadline passed while the work ran: unless the work finished anyway, that is what stopped it. */
  deadlineReached: boolean;
}

/**
 * Runs one slice of a task: `work` goes on until it is done or `shouldStop()`/`signal` says stop.
 * The runner owns the clock (the deadline from the invocation's remaining time, the margin and the
 * budget) and the run's claim: a heartbeat renews it every `heartbeatEveryMs` whatever the work is
 * doing (a long batch, an idle subscription). When a renewal fails the work is stopped and the
 * renewal's error (CheckpointConflictError when another run took over) is thrown, even if the work
 * then failed too, as its failure is most likely the consequence. Otherwise the work's own error
 * propagates unchanged.
 */
export async function runSlice<T>(options: SliceOptions, work: (slice: SliceControl) => Promise<T>): Promise<SliceRun<T>> {
  const deadline = sliceDeadline({
    nowMs: Date.now(),
    remainingMs: options.remainingMs,
    safetyMarginMs: options.safetyMarginMs,
    budgetMs: options.budgetMs,
  });
  const stop = new AbortController();
  let progressed = false;
  const checkDeadline = () => {
    if (progressed && !stop.signal.aborted && Date.now() >= deadline) stop.abort(new SliceDeadlineError(deadline));
  };
  const claim = keepClaim(options, stop);
  const timer = setTimeout(checkDeadline, Math.max(0, deadline - Date.now()));
  const control: SliceControl = {
    deadline,
    signal: stop.signal,
    shouldStop: () => {
      checkDeadline();
      return stop.signal.aborted;
    },
    progressed: () => {
      progressed = true;
      checkDeadline();
    },
  };
  try {
    const value = await work(control).finally(() => claim.stop());
    await claim.settled();
    return { value, deadlineReached: stop.signal.reason instanceof SliceDeadlineError };
  } catch (error) {
    await claim.settled();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The heartbeat: renews the claim on a timer, one renewal at a time; a failed one aborts `stop`. */
function keepClaim(options: SliceOptions, stop: AbortController) {
  let renewal: Promise<void> | undefined;
  let lost: { error: unknown } | undefined;
  const beat = () => {
    renewal ??= options.renewClaim().then(
      () => {
        renewal = undefined;
      },
      (error: unknown) => {
        lost = { error };
        stop.abort(error);
      },
    );
  };
  const interval = setInterval(beat, options.heartbeatEveryMs ?? HEARTBEAT_EVERY_MS);
  return {
    stop: () => clearInterval(interval),
    /** Waits for a renewal in flight; throws the renewal's error if the claim was lost. */
    settled: async () => {
      await renewal;
      if (lost) throw lost.error;
    },
  };
}
