import { Duration, aws_stepfunctions as sfn } from 'aws-cdk-lib';
import { RETRYABLE_TASK_ERROR } from '../../src/cloud/deploy-names.js';

/**
 * The retriers of the migrator's Lambda tasks, and the execution-history arithmetic that bounds
 * how many copy slices one child execution may run (docs/serverless.md shows the numbers).
 */
export interface RetrierSpec {
  readonly errors: string[];
  readonly interval: Duration;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelay?: Duration;
  readonly jitter: sfn.JitterType;
}

/** Transient Lambda service errors: AWS's recommended retrier (2 s, 6 attempts, ×2), with full jitter. */
export const LAMBDA_SERVICE_RETRY: RetrierSpec = {
  errors: ['Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  jitter: sfn.JitterType.FULL,
};

/** Lambda concurrency exhausted: back off longer, jittered so throttled units do not retry in step. */
export const LAMBDA_THROTTLE_RETRY: RetrierSpec = {
  errors: ['Lambda.TooManyRequestsException'],
  interval: Duration.seconds(5),
  maxAttempts: 6,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitter: sfn.JitterType.FULL,
};

/** The engine said "try again" (connection lost, failover, LOADING): resume from the checkpoint. */
export const ENGINE_RETRY: RetrierSpec = {
  errors: [RETRYABLE_TASK_ERROR],
  interval: Duration.seconds(5),
  maxAttempts: 5,
  backoffRate: 2,
  maxDelay: Duration.seconds(60),
  jitter: sfn.JitterType.FULL,
};

/** The function died (timeout, out of memory): twice more, then fail with the error. */
export const CRASH_RETRY: RetrierSpec = {
  errors: ['Lambda.Unknown', 'Sandbox.Timedout'],
  interval: Duration.seconds(10),
  maxAttempts: 2,
  backoffRate: 2,
  jitter: sfn.JitterType.FULL,
};

export const COPY_RETRIERS: readonly RetrierSpec[] = [LAMBDA_SERVICE_RETRY, LAMBDA_THROTTLE_RETRY, ENGINE_RETRY, CRASH_RETRY];
export const PLAN_RETRIERS: readonly RetrierSpec[] = [LAMBDA_SERVICE_RETRY, LAMBDA_THROTTLE_RETRY, ENGINE_RETRY];
export const BOOKKEEPING_RETRIERS: readonly RetrierSpec[] = [LAMBDA_SERVICE_RETRY, LAMBDA_THROTTLE_RETRY];

export function addRetriers(state: sfn.TaskStateBase, specs: readonly RetrierSpec[]): void {
  for (const spec of specs) {
    state.addRetry({
      errors: spec.errors,
      interval: spec.interval,
      maxAttempts: spec.maxAttempts,
      backoffRate: spec.backoffRate,
      ...(spec.maxDelay ? { maxDelay: spec.maxDelay } : {}),
      jitterStrategy: spec.jitter,
    });
  }
}

/** Step Functions' hard limit on one execution's history. */
export const HISTORY_LIMIT = 25_000;
/** One loop turn: TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited, ChoiceStateEntered, ChoiceStateExited. */
export const EVENTS_PER_SLICE = 7;
/** One retry: the attempt's TaskFailed (or TimedOut), then TaskScheduled and TaskStarted again. */
export const EVENTS_PER_RETRY = 3;
/**
 * Everything else in a child execution, generously: ExecutionStarted, the end (Succeed or the
 * failure task with all its retries, then Fail) and ExecutionSucceeded/Failed.
 */
export const CHILD_OVERHEAD_EVENTS = 60;

/** Retries one slice can take at most: every retrier exhausted. */
export function maxRetriesPerSlice(retriers: readonly RetrierSpec[] = COPY_RETRIERS): number {
  return retriers.reduce((sum, r) => sum + r.maxAttempts, 0);
}

/** Events a unit's child execution can reach in the worst case (every slice exhausting every retrier). */
export function worstCaseChildEvents(maxSlices: number, retriers: readonly RetrierSpec[] = COPY_RETRIERS): number {
  return CHILD_OVERHEAD_EVENTS + maxSlices * (EVENTS_PER_SLICE + EVENTS_PER_RETRY * maxRetriesPerSlice(retriers));
}

/** The most slices a child execution may run and still stay under the history limit in the worst case. */
export function maxSlicesWithinHistory(retriers: readonly RetrierSpec[] = COPY_RETRIERS): number {
  return Math.floor((HISTORY_LIMIT - CHILD_OVERHEAD_EVENTS) / (EVENTS_PER_SLICE + EVENTS_PER_RETRY * maxRetriesPerSlice(retriers)));
}
