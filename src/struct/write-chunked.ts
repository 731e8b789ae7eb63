import { formatKey } from '../core/key-format.js';
import type { Command, RedisClient, WriteStep } from './contracts.js';
import { execute } from './copy-key.js';
import { TempKeyLostError, wrapStructError } from './errors.js';
import { DEFAULT_TEMP_PREFIX, tempKeyFor } from './temp-key.js';

export interface ChunkedWriteOptions {
  /** Overwrite a key the target has (RENAME); false keeps it (RENAMENX: 'existing'). */
  replace: boolean;
  /** The key's time to live in ms, asked once the value is built: 0 none, null already expired (nothing is renamed). */
  ttlMs: () => number | null;
  tempPrefix?: string;
  /** Expiry of the temporary key while it is built, refreshed with every chunk. @default 1 h */
  tempTtlMs?: number;
}

export interface ChunkedWriteResult {
  status: 'copied' | 'existing' | 'gone' | 'expired';
  chunks: number;
  /** The TTL given to the key (0: none). */
  ttlMs: number;
}

/**
 * Writes one key from chunks that build it under a temporary name (the commands of each WriteStep
 * name `temp`), then sets its TTL and RENAMEs it into place in one MULTI, the protocol of
 * copy-key.ts: every chunk after the first refreshes the temporary key's safety TTL and checks it
 * is still there; a value of one chunk is written and renamed in a single transaction. A crash
 * leaves the real key untouched and a temporary key that expires by itself. `steps(temp)` yields
 * the chunks, each produced when the one before is about to be written: two are in memory at most.
 */
export async function writeChunked(
  target: RedisClient,
  key: Buffer,
  steps: (temp: Buffer) => Iterator<WriteStep>,
  options: ChunkedWriteOptions,
): Promise<ChunkedWriteResult> {
  const temp = tempKeyFor(key, options.tempPrefix ?? DEFAULT_TEMP_PREFIX);
  const tempTtlMs = options.tempTtlMs ?? 3_600_000;
  const chunks = steps(temp);
  let written = 0;
  let created = false;
  try {
    let pending = chunks.next();
    for (let next = pending.done ? pending : chunks.next(); !next.done; next = chunks.next()) {
      const step = pending.value as WriteStep;
      if (step.commands.length > 0) {
        const commands: Command[] = created
          ? [['PEXPIRE', temp, tempTtlMs], ...step.commands]
          : [...step.commands, ['PEXPIRE', temp, tempTtlMs]];
        const replies = await execute(target, key, commands, false);
        if (created && replies[0] !== 1) throw tempLost(key, tempTtlMs);
        step.inspect?.(created ? replies.slice(1) : replies.slice(0, -1));
        created = true;
        written++;
      }
      pending = next;
    }
    const last = pending.done ? [] : (pending.value as WriteStep).commands;
    const ttlMs = options.ttlMs();
    if (ttlMs === null) {
      if (created) await target.unlink(temp).catch(() => {});
      return { status: 'expired', chunks: written, ttlMs: 0 };
    }
    const replies = await execute(
      target,
      key,
      [
        ...(created ? [['PEXPIRE', temp, tempTtlMs] as Command] : []),
        ...last,
        ttlMs > 0 ? ['PEXPIRE', temp, ttlMs] : ['PERSIST', temp],
        [options.replace ? 'RENAME' : 'RENAMENX', temp, key],
        ['UNLINK', temp],
      ],
      true,
      (created ? 1 : 0) + last.length + 1,
    );
    if (created && replies[0] !== 1) throw tempLost(key, tempTtlMs);
    const renamed = replies[(created ? 1 : 0) + last.length + 1];
    if (renamed instanceof Error) {
      if (/no such key/i.test(renamed.message)) return { status: 'gone', chunks: written + 1, ttlMs: 0 };
      throw wrapStructError('target', key, options.replace ? 'RENAME' : 'RENAMENX', renamed);
    }
    return { status: !options.replace && renamed === 0 ? 'existing' : 'copied', chunks: written + 1, ttlMs };
  } catch (error) {
    await target.unlink(temp).catch(() => {});
    throw error;
  }
}

function tempLost(key: Buffer, tempTtlMs: number): TempKeyLostError {
  return new TempKeyLostError(
    key,
    `the temporary copy of key ${formatKey(key)} vanished mid-copy (expired after a stall over ${tempTtlMs} ms, ` +
      'or removed by a cleanup); copy the key again',
  );
}
