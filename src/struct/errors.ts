import { MigrationError, PayloadTooLargeError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { isConnectionLoss, isTransientRefusal, redisFailure } from '../redis/redis-errors.js';

/**
 * The temporary key of a copy in progress vanished between two chunks (it expired after a stall
 * longer than tempTtlMs, or a cleanup removed it). The key was not renamed into place; copying it
 * again from the start is safe.
 */
export class TempKeyLostError extends MigrationError {
  readonly key: Buffer;

  constructor(key: Buffer, message: string, options?: ErrorOptions) {
    super(message, { ...options, retryable: true });
    this.name = 'TempKeyLostError';
    this.key = key;
  }
}

/** Target commands struct mode needs, for the NOPERM message. */
const TARGET_COMMANDS =
  '+multi +exec +rename +renamenx +unlink +pexpire +persist +set +setrange +hset +sadd +zadd +rpush +xadd +xsetid +xgroup +xclaim';

/** Translates a driver or server error met while copying `key` by type into a MigrationError. */
export function wrapStructError(side: 'source' | 'target', key: Buffer, command: string, error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  const failure = redisFailure(error);
  const { text } = failure;
  const where = `${side} ${command} of key ${formatKey(key)}`;
  const Cls = side === 'source' ? SourceUnavailableError : TargetUnavailableError;
  if (failure.replyCode === 'OOM')
    return new TargetUnavailableError(
      `target is out of memory during ${command} of key ${formatKey(key)} (${text}): ` +
        `a big key needs room for its temporary copy too; raise maxmemory, then resume`,
      { cause: error },
    );
  if (failure.replyCode === 'NOPERM') {
    const needed =
      side === 'source'
        ? '+type +pttl +strlen +getrange +hlen +hscan +scard +sscan +zcard +zscan +llen +lrange +xinfo +xrange +xpending'
        : TARGET_COMMANDS;
    return new Cls(`${where} refused: the user lacks a permission (${text}); copying by type needs ${needed} on the ${side}`, {
      cause: error,
    });
  }
  return new Cls(`${where} failed: ${text}`, { cause: error, retryable: isConnectionLoss(failure) || isTransientRefusal(failure) });
}

const bytes = new Intl.NumberFormat('en-US');

/** The run stops at a key the target cannot hold (onTooBig 'stop'): what it is, and the two ways on. */
export function tooBigError(key: Buffer, length: number, limit: number | undefined): PayloadTooLargeError {
  const limitText = limit === undefined ? 'its proto-max-bulk-len' : `its proto-max-bulk-len, ${bytes.format(limit)} bytes`;
  return new PayloadTooLargeError(
    key,
    `key ${formatKey(key)} is a string of ${bytes.format(length)} bytes, longer than the target can hold (${limitText}): ` +
      "raise the target's limit (CONFIG SET proto-max-bulk-len 1gb, or a managed service's " +
      'parameter group) and run the same command again, ' +
      'or skip such keys with --on-too-big skip ([advanced] on_too_big = "skip")',
  );
}
