import type { Redis } from 'ioredis';
import { replyText } from './redis-errors.js';

/** A command the server would not run for us: disabled, renamed, unknown, or denied by ACL. */
export interface Refusal {
  refused: true;
  /** The server's reply, first line (never holds credentials). */
  reason: string;
}

export type ProbeResult<T> = { refused: false; value: T } | Refusal;

/**
 * True for replies meaning "this command is not available to you": managed services disable or
 * rename commands (CONFIG, CLUSTER, CLIENT…), older servers lack subcommands (CLUSTER SHARDS
 * before 7.0), and ACLs deny them (NOPERM).
 */
export function isRefusal(text: string): boolean {
  return /^ERR unknown (sub)?command|^ERR Unknown subcommand|^NOPERM|command is not allowed|^ERR This instance has cluster support disabled|not supported|disabled/i.test(
    text,
  );
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
    const reason = replyText(error);
    if (isRefusal(reason)) return { refused: true, reason };
    throw error;
  }
}
