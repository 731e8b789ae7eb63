import type { Redis } from 'ioredis';
import { type RedisFailure, redisFailure } from './redis-errors.js';

/** A command the server would not run for us: disabled, renamed, unknown, or denied by ACL. */
export interface Refusal {
  refused: true;
  /** The server's reply, first line (never holds credentials). */
  reason: string;
}

export type ProbeResult<T> = { refused: false; value: T } | Refusal;

/** Refusals the server words under ERR (or a managed service's own wording): no code of their own. */
const REFUSED_TEXT = /unknown (sub)?command|not allowed|not supported|disabled/i;

/**
 * True for replies meaning "this command is not available to you": managed services disable or
 * rename commands (CONFIG, CLUSTER, CLIENT…), older servers lack subcommands (CLUSTER SHARDS
 * before 7.0), and ACLs deny them (NOPERM).
 */
export function isRefusal(failure: RedisFailure): boolean {
  // Only the server refuses: a network error is never read as one, whatever its words.
  return failure.replyCode !== undefined && (failure.replyCode === 'NOPERM' || REFUSED_TEXT.test(failure.text));
}

/** Runs one command; a refusal is returned as a value, anything else (network…) is thrown. */
export async function tryCommand<T>(client: Redis, command: string, args: (string | number)[]): Promise<ProbeResult<T>> {
  return tryReply(async () => (await client.call(command, ...args)) as T);
}

/** tryCommand for any call (binary replies, say): a refusal is returned, anything else thrown. */
export async function tryReply<T>(run: () => Promise<T>): Promise<ProbeResult<T>> {
  try {
    return { refused: false, value: await run() };
  } catch (error) {
    const failure = redisFailure(error);
    if (isRefusal(failure)) return { refused: true, reason: failure.text };
    throw error;
  }
}
