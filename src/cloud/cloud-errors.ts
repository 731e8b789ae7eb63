import { MigrationError } from '../core/errors.js';
import { RETRYABLE_TASK_ERROR } from './deploy-names.js';

/**
 * What a Lambda throws for an engine error that may succeed when tried again (connection lost,
 * failover, throttling). One distinct name so the state machine can Retry it with backoff and let
 * every other engine error (wrong password, key conflict, bad config) fail fast. The message keeps
 * the original name first ("SourceUnavailableError: …") so the failure report can still name it.
 */
export class RetryableMigrationError extends MigrationError {
  constructor(original: Error) {
    super(`${original.name}: ${original.message}`, { cause: original, retryable: true });
    this.name = RETRYABLE_TASK_ERROR;
  }
}

/**
 * The error a task should throw for `error`: retryable engine errors become RetryableMigrationError,
 * everything else is thrown as is (its `name` is the Lambda errorType Step Functions matches on).
 */
export function toTaskError(error: unknown): unknown {
  if (error instanceof MigrationError && error.retryable && !(error instanceof RetryableMigrationError)) {
    return new RetryableMigrationError(error);
  }
  return error;
}
