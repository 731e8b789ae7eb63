/**
 * Every failure the engine reports on purpose is a MigrationError subclass. The `name` is a contract:
 * Step Functions Retry/Catch match on the Lambda `errorType`, which is `error.name`, and the CLI prints
 * `message` alone (no stack) because each message already says what is wrong and how to fix it.
 */
export class MigrationError extends Error {
  /** True when trying the same step again may succeed (connection lost, failover in progress). */
  readonly retryable: boolean;

  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.name = 'MigrationError';
    this.retryable = options?.retryable ?? false;
  }
}

/** The configuration is invalid; `problems` lists every issue found, one line each. */
export class ConfigError extends MigrationError {
  readonly problems: string[];

  constructor(problems: string[], options?: ErrorOptions) {
    super(problems.join('\n'), options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Follow mode cannot start: keyspace notifications are off or cannot be checked (exit 2, nothing written). */
export class FollowSetupError extends ConfigError {
  constructor(message: string, options?: ErrorOptions) {
    super([message], options);
    this.name = 'FollowSetupError';
  }
}

/**
 * A restore's checkpoint was made from another file than the one named now (same path, other size
 * or modification time): resuming would mix two snapshots (exit 2, nothing written).
 */
export class RestoreFileChangedError extends ConfigError {
  constructor(message: string, options?: ErrorOptions) {
    super([message], options);
    this.name = 'RestoreFileChangedError';
  }
}

/** A checkpoint write lost a race: another worker owns or advanced the unit. The loser must stop. */
export class CheckpointConflictError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CheckpointConflictError';
  }
}

/** The target already holds a key and the conflict policy is `fail`. */
export class TargetKeyExistsError extends MigrationError {
  readonly key: Buffer;

  constructor(key: Buffer, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetKeyExistsError';
    this.key = key;
  }
}

/** A fresh migration found keys in a target db while the policy is `fail`. */
export class TargetNotEmptyError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetNotEmptyError';
  }
}

/** The source cannot be reached or refused us (network, auth, permissions). */
export class SourceUnavailableError extends MigrationError {
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.name = 'SourceUnavailableError';
  }
}

/** The target cannot be reached or refused us (network, auth, permissions, out of memory). */
export class TargetUnavailableError extends MigrationError {
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.name = 'TargetUnavailableError';
  }
}

/** The target refused a RESTORE for a reason other than an existing key. */
export class RestoreRejectedError extends MigrationError {
  readonly key: Buffer;

  constructor(key: Buffer, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RestoreRejectedError';
    this.key = key;
  }
}

/** A key the target cannot hold: a string longer than its proto-max-bulk-len (see MigrationConfig.onTooBig). */
export class PayloadTooLargeError extends MigrationError {
  readonly key: Buffer;

  constructor(key: Buffer, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PayloadTooLargeError';
    this.key = key;
  }
}

/**
 * The source reported a key too big to DUMP whole, and the copy loop was given no copier to move it by
 * type (CopyUnitOptions.copyBigKey): a wiring fault, never a property of the data.
 */
export class BigKeyCopierMissingError extends MigrationError {
  readonly key: Buffer;

  constructor(key: Buffer, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BigKeyCopierMissingError';
    this.key = key;
  }
}

/** The run was asked to stop (Ctrl-C, deadline); the unit checkpointed what the target confirmed. */
export class MigrationInterruptedError extends MigrationError {
  constructor(message = 'migration interrupted', options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationInterruptedError';
  }
}

/**
 * The source's Redis 7 functions cannot go to the target: it is older than 7.0, refuses FUNCTION,
 * or holds a library of the same name with other code under the `fail` policy.
 */
export class RedisFunctionsError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RedisFunctionsError';
  }
}

/**
 * A state redis-ferry's own code should never reach (an invariant broke): a bug to report, with
 * what was found. Not retryable: the same input would meet the same bug.
 */
export class InternalError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(`redis-ferry internal error: ${message}; please report it`, options);
    this.name = 'InternalError';
  }
}
