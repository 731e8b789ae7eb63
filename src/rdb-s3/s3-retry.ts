import { setTimeout as sleep } from 'node:timers/promises';
import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import { MigrationError, MigrationInterruptedError } from '../core/errors.js';
import { classifyS3Failure, s3FailureError } from './s3-failure.js';

/** How one S3 read retries. */
export interface S3RetryPolicy {
  /** Failures in a row, with no byte received in between, before the read gives up. */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

export const DEFAULT_S3_RETRY: S3RetryPolicy = { maxAttempts: 6, backoff: { initialMs: 200, maxMs: 10_000, jitter: 0.5 } };

export interface RetryContext {
  /** The s3:// URI, for messages. */
  uri: string;
  policy: S3RetryPolicy;
  signal: AbortSignal;
  /** Called before each retry (counted in the source's stats). */
  onRetry: () => void;
}

/**
 * Runs `attempt` until it succeeds, retrying throttling, 5xx answers and broken connections with backoff.
 * `progress` reports how far the work got: a failure after progress starts a fresh run of attempts, so a
 * long body read over a flaky link is not failed by resets spread over many minutes.
 */
export async function withS3Retries<T>(ctx: RetryContext, attempt: () => Promise<T>, progress: () => number = () => 0): Promise<T> {
  let failures = 0;
  for (;;) {
    const before = progress();
    try {
      return await attempt();
    } catch (error) {
      if (ctx.signal.aborted) throw interrupted(ctx);
      if (error instanceof MigrationError) throw error;
      failures = progress() > before ? 1 : failures + 1;
      if (classifyS3Failure(error) !== 'transient' || failures >= ctx.policy.maxAttempts) throw s3FailureError(ctx.uri, error, failures);
      ctx.onRetry();
      await sleep(backoffDelay(failures, ctx.policy.backoff), undefined, { signal: ctx.signal }).catch(() => {
        throw interrupted(ctx);
      });
    }
  }
}

export function interrupted(ctx: Pick<RetryContext, 'uri' | 'signal'>): MigrationInterruptedError {
  return new MigrationInterruptedError(`reading ${ctx.uri} stopped`, { cause: ctx.signal.reason });
}
