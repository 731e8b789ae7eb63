import { ConfigError, MigrationError, SourceUnavailableError } from '../core/errors.js';

/** An `s3://` source URI that cannot name an object. */
export class S3UriError extends ConfigError {
  constructor(uri: string, problem: string, options?: ErrorOptions) {
    super([`bad S3 URI "${uri}": ${problem}; write it as s3://bucket/path/to/file.rdb`], options);
    this.name = 'S3UriError';
  }
}

/**
 * The object cannot be read: it or its bucket is missing, access is denied, or S3 kept failing after
 * every retry (then `retryable`, so a later attempt may succeed).
 */
export class S3SourceError extends SourceUnavailableError {
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.name = 'S3SourceError';
  }
}

/**
 * The object is not the one the restore started from (its ETag changed): resuming would mix two
 * snapshots, so the restore stops. Not retryable.
 */
export class S3ObjectChangedError extends MigrationError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'S3ObjectChangedError';
  }
}
