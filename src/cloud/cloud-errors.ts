import { ConfigError, InternalError, MigrationError } from '../core/errors.js';
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
 * The error a task should throw for `error`: retryable engine errors become RetryableMigrationError;
 * a plain Error (a driver's, never classified) becomes an InternalError, since Step Functions would
 * see only "Error"; everything else is thrown as is (its `name` is the errorType Step Functions
 * matches on).
 */
export function toTaskError(error: unknown): unknown {
  if (error instanceof MigrationError) {
    return error.retryable && !(error instanceof RetryableMigrationError) ? new RetryableMigrationError(error) : error;
  }
  if (error instanceof Error && error.name === 'Error') {
    return new InternalError(`an unclassified error left the task (${error.message.split('\n')[0]})`, { cause: error });
  }
  return error;
}

/**
 * The abort reason a slice's work gets at its deadline (see slice-runner.ts). Work hands over by
 * returning what it reached; should it throw this instead, the error is retryable, so Step Functions
 * runs the slice again from its checkpoint rather than failing the unit.
 */
export class SliceDeadlineError extends MigrationError {
  readonly deadline: number;

  constructor(deadline: number, options?: ErrorOptions) {
    super(`the slice reached its deadline (${new Date(deadline).toISOString()}) before its work handed over`, {
      ...options,
      retryable: true,
    });
    this.name = 'SliceDeadlineError';
    this.deadline = deadline;
  }
}

/** The Lambda's environment (set by the CDK construct) is missing a setting or has a malformed one. */
export class LambdaSettingsError extends ConfigError {
  constructor(problems: string[]) {
    super([`redis-ferry Lambda misconfigured: ${problems.join('; ')}`]);
    this.name = 'LambdaSettingsError';
  }
}

/** A task that reads no secrets was asked for one (a wiring bug in its handler module). */
export class NoSecretsError extends MigrationError {
  constructor(task: string) {
    super(`the ${task} task reads no secrets, yet one was asked for`);
    this.name = 'NoSecretsError';
  }
}

/** A unit's followers stopped on an error they recorded on its follow item: the report fails the run with it. */
export class FollowFailedError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FollowFailedError';
  }
}

/**
 * A follower invocation was killed mid-slice by the fault hook (src/cloud/follow-faults.ts): it
 * dropped its connections and wrote nothing more, as a Lambda that dies does.
 */
export class FollowerKilledError extends MigrationError {
  constructor(unitId: string, options?: ErrorOptions) {
    super(`the follower of unit ${unitId} was killed mid-slice (fault injection)`, options);
    this.name = 'FollowerKilledError';
  }
}
