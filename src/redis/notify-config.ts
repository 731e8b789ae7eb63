import type { Redis } from 'ioredis';
import { FollowSetupError } from '../core/errors.js';

/**
 * The classes of keyspace events the follower needs: `E` (keyevent channels, whose message is the
 * key, binary-safe) and every class that changes a key: generic (DEL, EXPIRE, RENAME, MOVE, COPY,
 * RESTORE…), each type's commands, expirations and evictions. `n` (new key) and `m` (misses) are
 * not needed: every write already has its own event.
 */
export const REQUIRED_NOTIFY_CLASSES = ['g', '$', 'l', 's', 'h', 'z', 'x', 'e', 't'] as const;
export const REQUIRED_NOTIFY_FLAGS = `E${REQUIRED_NOTIFY_CLASSES.join('')}`;

/** The flags `current` lacks, in the order Redis spells them ('' when none). `A` stands for all classes. */
export function missingNotifyFlags(current: string): string {
  const all = current.includes('A');
  const missing = REQUIRED_NOTIFY_CLASSES.filter((c) => !all && !current.includes(c));
  return `${current.includes('E') ? '' : 'E'}${missing.join('')}`;
}

export type NotifyCheck =
  | { kind: 'ok'; current: string }
  | { kind: 'missing'; current: string; missing: string }
  | { kind: 'refused'; reason: string };

/** Reads `notify-keyspace-events` on one node. CONFIG is often refused on managed services. */
export async function readNotifyConfig(client: Redis): Promise<NotifyCheck> {
  let reply: string[];
  try {
    reply = (await client.config('GET', 'notify-keyspace-events')) as string[];
  } catch (error) {
    return { kind: 'refused', reason: String((error as Error).message).split('\n')[0]! };
  }
  const current = reply[1] ?? '';
  const missing = missingNotifyFlags(current);
  return missing ? { kind: 'missing', current, missing } : { kind: 'ok', current };
}

/** Sets the missing flags on one node; returns the value to put back when the run ends. */
export async function enableNotifyFlags(client: Redis, address: string, check: NotifyCheck): Promise<string | undefined> {
  if (check.kind !== 'missing') return undefined;
  try {
    await client.config('SET', 'notify-keyspace-events', `${check.current}${check.missing}`);
  } catch (error) {
    throw new FollowSetupError(
      `follow mode: source ${address} refused CONFIG SET notify-keyspace-events ` +
        `(${String((error as Error).message).split('\n')[0]}); ${managedHint()}`,
      { cause: error },
    );
  }
  return check.current;
}

/** One line that says what to set where, for the error when events cannot be had. */
export function notifyFlagsError(address: string, check: NotifyCheck): FollowSetupError {
  const what =
    check.kind === 'refused'
      ? `CONFIG GET notify-keyspace-events was refused (${check.reason}), so the keyspace events cannot be checked`
      : `notify-keyspace-events is "${check.kind === 'missing' ? check.current : ''}", lacking ` +
        `"${check.kind === 'missing' ? check.missing : ''}"`;
  const fix =
    check.kind === 'refused'
      ? managedHint()
      : `run with --follow-config-set to set it for the run (restored afterwards), or CONFIG ` +
        `SET notify-keyspace-events ${REQUIRED_NOTIFY_FLAGS}; ${managedHint()}`;
  return new FollowSetupError(`follow mode: source ${address}: ${what}; ${fix}`);
}

function managedHint(): string {
  return (
    `on ElastiCache or MemoryDB set notify-keyspace-events = ${REQUIRED_NOTIFY_FLAGS} in the cluster's parameter group, ` +
    `on Memorystore in its Redis configuration; where events cannot be had, follow by repeated reconcile passes ` +
    `instead: --follow rescan`
  );
}

/** The source refused PSUBSCRIBE (an ACL without pub/sub channels): one line that says what to grant, or to rescan. */
export function subscribeRefusedError(address: string, error: unknown): FollowSetupError {
  const reason = String((error as Error)?.message).split('\n')[0];
  return new FollowSetupError(
    `follow mode: source ${address} refused PSUBSCRIBE to the keyevent channels (${reason}); grant the user ` +
      `the channels (ACL SETUSER <user> &__keyevent@*) or follow by repeated reconcile passes instead: --follow rescan`,
    { cause: error },
  );
}
