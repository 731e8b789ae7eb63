import type { Redis } from 'ioredis';
import { SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { redisFailure, type Side } from './redis-errors.js';

/** A key name no one uses; probes never write it (RESTORE is sent an invalid payload). */
const PROBE_KEY = '__redis-ferry:access-probe__';

const NEEDS: Record<Side, { commands: string[]; extra: string }> = {
  source: {
    commands: ['SCAN', 'DUMP', 'PTTL', 'INFO', 'PING'],
    extra: ', plus +select for dbs other than 0 and +readonly to read cluster replicas',
  },
  target: {
    commands: ['RESTORE', 'DBSIZE', 'INFO', 'PING'],
    extra: ', plus +select for dbs other than 0 and +wait on sentinel and cluster targets',
  },
};
const grants = (side: Side) => `${NEEDS[side].commands.map((c) => `+${c.toLowerCase()}`).join(' ')}${NEEDS[side].extra}`;

/**
 * Checks, before anything is copied, that the user may run the commands the copy needs, so a
 * missing permission fails the run at once in one line naming it, not after a plan and a first
 * batch. Key-level denials (an ACL limited to `~app:*`) and redirects are inconclusive for the
 * probe key, and ignored: the copy itself reports those per key.
 */
export async function probeAccess(
  side: Side,
  client: Redis,
  address: string,
  username: string | undefined,
  writesWithRestore = true,
): Promise<void> {
  const commands: [string, (string | Buffer)[]][] =
    side === 'source'
      ? [
          ['SCAN', ['0', 'COUNT', '1']],
          ['DUMP', [PROBE_KEY]],
          ['PTTL', [PROBE_KEY]],
        ]
      : [['DBSIZE', []], ...(writesWithRestore ? [['RESTORE', [PROBE_KEY, '0', Buffer.from([0])]] as [string, Buffer[] | string[]]] : [])];
  const pipeline = client.pipeline();
  for (const [name, args] of commands) pipeline.call(name, ...args);
  const replies = (await pipeline.exec()) ?? [];
  const Cls = side === 'source' ? SourceUnavailableError : TargetUnavailableError;
  const user = username || 'default';
  for (let i = 0; i < commands.length; i++) {
    const error = replies[i]?.[0];
    if (!error) continue;
    const { replyCode, text } = redisFailure(error);
    const name = commands[i]![0];
    // NOPERM for the command itself (NOPERM for a key the probe names is no refusal of the command).
    if (replyCode === 'NOPERM' && /\bcommand\b/.test(text)) {
      throw new Cls(
        `${side} ${address}: ACL user "${user}" lacks the ${name} permission (${text}); ` +
          `grant it with ACL SETUSER ${user} +${name.toLowerCase()}, or use another user. ` +
          `The ${side} user needs ${grants(side)}`,
        { cause: error },
      );
    }
    if (replyCode === 'ERR' && /^ERR unknown command/i.test(text)) {
      throw new Cls(
        `${side} ${address} does not allow ${name} (${text.trim()}): it is disabled or renamed there, ` +
          `and redis-ferry needs ${NEEDS[side].commands.join(', ')} on the ${side}`,
        { cause: error },
      );
    }
    if (side === 'target' && replyCode === 'READONLY') {
      throw new Cls(
        `target ${address} is a read-only replica (${text}): ` +
          `give the master's address, or the sentinels with sentinel = true and master = "<name>"`,
        { cause: error },
      );
    }
  }
}
