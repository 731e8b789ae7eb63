import { createHash, randomBytes } from 'node:crypto';
import { keySlot } from '../redis/key-slot.js';
import type { RedisClient } from './contracts.js';
import { slotTag } from './slot-tag.js';

/** Prefix of the temporary keys big keys are built under; never a user key in practice. */
export const DEFAULT_TEMP_PREFIX = '__redis-ferry:tmp:';

/**
 * The temporary name a key is built under on the target:
 *
 *   <prefix>{<slot tag>}<attempt token>:<first 16 hex digits of SHA-1(key)>
 *
 * RENAME on a cluster needs both names in one hash slot. Wrapping the key itself in braces does
 * not always work (a key with its own "{…}" or a "}" inside hashes differently), so the name
 * carries a short tag chosen to hash to the key's slot (key-slot.ts): same slot for any key bytes.
 * The attempt token is new for every copy, so a worker that was frozen mid-key (a Lambda that timed
 * out and thawed later) can never write into the temporary key of the attempt that replaced it.
 */
export function tempKeyFor(key: Buffer, prefix = DEFAULT_TEMP_PREFIX, token = newAttemptToken()): Buffer {
  assertTempPrefix(prefix);
  const digest = createHash('sha1').update(key).digest('hex').slice(0, 16);
  return Buffer.from(`${prefix}{${slotTag(keySlot(key))}}${token}:${digest}`, 'latin1');
}

export function newAttemptToken(): string {
  return randomBytes(6).toString('hex');
}

export function assertTempPrefix(prefix: string): void {
  if (prefix.length === 0 || /[{}]/.test(prefix))
    throw new RangeError(`temp key prefix ${JSON.stringify(prefix)} must be non-empty and contain no '{' or '}'`);
}

/** True for names of temporary keys (e.g. to leave them out when a former target is a source). */
export function isTempKey(key: Buffer, prefix = DEFAULT_TEMP_PREFIX): boolean {
  const p = Buffer.from(prefix, 'latin1');
  return key.length > p.length && key.compare(p, 0, p.length, 0, p.length) === 0;
}

export interface CleanupOptions {
  tempPrefix?: string;
  /**
   * Only temporary keys untouched for this long are removed (OBJECT IDLETIME; every chunk write
   * resets it), so a cleanup never pulls a key from under a copy in progress. 0 removes all of
   * them: only when no copy can be running. @default 600_000 (10 min)
   */
  minIdleMs?: number;
  /** SCAN COUNT. @default 1000 */
  count?: number;
}

export interface CleanupResult {
  found: number;
  removed: number;
  /** Found but left: still in use, or their idle time could not be read (they expire on their own). */
  kept: number;
}

/**
 * Removes temporary keys left by crashed attempts from one target node (call it on every master of
 * a cluster). They also expire on their own (tempTtlMs), so this only frees memory sooner. When
 * OBJECT IDLETIME is refused (an LFU maxmemory policy, or ACLs), keys are kept unless minIdleMs is 0.
 */
export async function cleanupTempKeys(target: RedisClient, options: CleanupOptions = {}): Promise<CleanupResult> {
  const prefix = options.tempPrefix ?? DEFAULT_TEMP_PREFIX;
  assertTempPrefix(prefix);
  const minIdleMs = options.minIdleMs ?? 600_000;
  const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
  const result: CleanupResult = { found: 0, removed: 0, kept: 0 };
  let cursor = '0';
  do {
    const [next, keys] = (await target.callBuffer('SCAN', cursor, 'MATCH', pattern, 'COUNT', options.count ?? 1000)) as [Buffer, Buffer[]];
    cursor = next.toString();
    result.found += keys.length;
    const stale: Buffer[] = [];
    if (minIdleMs === 0) stale.push(...keys);
    else {
      const idle = await Promise.all(keys.map((k) => target.call('OBJECT', 'IDLETIME', k).then(Number, () => Number.NaN)));
      keys.forEach((k, i) => {
        if (idle[i]! * 1000 >= minIdleMs) stale.push(k);
      });
    }
    const removed = await Promise.all(stale.map((k) => target.unlink(k)));
    result.removed += removed.reduce((a, b) => a + b, 0);
    result.kept += keys.length - stale.length;
  } while (cursor !== '0');
  return result;
}
