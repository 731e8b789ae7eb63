import { MigrationError } from '../core/errors.js';

/**
 * The RDB bytes are not what the format allows: a truncated file, a corrupt blob, an unknown opcode or
 * encoding. `offset` is where the problem was found: relative to the blob for the decoders in
 * `encodings/`, and to the file once the reader re-throws with the blob's position added. Never
 * retryable: reading the same bytes again meets the same fault.
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
