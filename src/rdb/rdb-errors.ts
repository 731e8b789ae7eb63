import { MigrationError } from '../core/errors.js';

/**
 * The bytes are not a valid RDB file (or a blob inside one): an unknown opcode or type, a length
 * that overruns, a bad checksum, a file that ends early. `offset` is where the problem was found:
 * a file offset when the walker throws it, an offset inside the blob when a blob decoder does (the
 * walker then re-throws it with the file offset). Not retryable: the same bytes fail the same way.
 */
export class RdbFormatError extends MigrationError {
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RdbFormatError';
    this.offset = offset;
  }
}

/**
 * A valid RDB file holding something this reader does not handle: a format version newer than it
 * knows, or a module value in the pre-4.0 format (which cannot be skipped without the module).
 */
export class RdbUnsupportedError extends MigrationError {
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RdbUnsupportedError';
    this.offset = offset;
  }
}

/** The RDB source cannot be read: a missing file, no permission, a network failure for a remote one. */
export class RdbSourceError extends MigrationError {
  constructor(message: string, options?: ErrorOptions & { retryable?: boolean }) {
    super(message, options);
    this.name = 'RdbSourceError';
  }
}
