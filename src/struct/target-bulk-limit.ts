import type { RedisClient } from './contracts.js';

/** The smallest proto-max-bulk-len Redis accepts: a bulk of this many bytes always fits. */
export const MIN_BULK_LIMIT = 1024 * 1024;

const cache = new WeakMap<object, Promise<number | undefined>>();

/**
 * The target's proto-max-bulk-len: the longest bulk string a command may carry, so also the longest
 * string value SET/SETRANGE/APPEND may make. Read once per client with CONFIG GET; undefined where
 * CONFIG is refused (managed services), and then a too-long value shows as the server's error reply.
 */
export function targetBulkLimit(target: RedisClient): Promise<number | undefined> {
  let limit = cache.get(target);
  if (!limit) {
    limit = (target.call('CONFIG', 'GET', 'proto-max-bulk-len') as Promise<unknown>).then(
      (reply) => {
        const value = Array.isArray(reply) ? Number(String(reply[1])) : Number.NaN;
        return Number.isFinite(value) && value > 0 ? value : undefined;
      },
      () => undefined,
    );
    cache.set(target, limit);
  }
  return limit;
}

/**
 * True for a target's refusal of a value longer than its proto-max-bulk-len: SETRANGE/APPEND past
 * it, or a command whose bulk string exceeds it (the server then also closes the connection).
 */
export function isTooBigReply(text: string): boolean {
  return /exceeds maximum allowed size \(proto-max-bulk-len\)|Protocol error: invalid bulk length/i.test(text);
}
