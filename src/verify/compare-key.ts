import type { RedisClient } from '../struct/contracts.js';
import { DEFAULT_BIG_KEY_BYTES, SizeProbe } from '../struct/size-probe.js';
import { sameValue } from './compare-value.js';

export type VerifyLevel = 'quick' | 'full';
export type KeyDifference = 'missing' | 'type' | 'ttl' | 'value';
export const KEY_DIFFERENCES: readonly KeyDifference[] = ['missing', 'type', 'ttl', 'value'];

export interface CompareOptions {
  /** quick: existence, type and TTL. full: the value too. */
  level: VerifyLevel;
  /** Largest accepted TTL difference in ms (the copy subtracts time in flight; drift stays small). */
  ttlToleranceMs: number;
  /**
   * Keys above this size (MEMORY USAGE on the source) are compared chunk by chunk and never
   * DUMPed, so verifying keeps the same memory bound as copying. @default 16 MiB
   */
  bigKeyBytes?: number;
  /** Value comparisons in flight at once. @default 16 */
  concurrency?: number;
  /** Elements per page of a chunked comparison. @default 1000 */
  chunkSize?: number;
}

/** The outcome for one key: a difference, none (null), or why it was not judged. */
export type KeyVerdict = KeyDifference | null | 'gone' | 'expiring';

/**
 * Compares a batch of keys (read from the source) with the target. For each key: TYPE and PTTL on
 * both sides, then, at level full, the value: equal DUMP payloads, or else a type-aware comparison
 * (compare-value.ts), since servers serialize hash-table–encoded hashes and sets in their own
 * order, so equal values can have different DUMP bytes. Keys above `bigKeyBytes` skip DUMP.
 *
 * Not differences: a key that left the source meanwhile ('gone'), and a key whose TTL is within
 * the tolerance of running out on the source ('expiring': it may legitimately be gone on the
 * target already). Commands go one key at a time (no multi-key pipelines), so either side may be a
 * cluster client.
 */
export async function compareKeys(source: RedisClient, target: RedisClient, keys: Buffer[], options: CompareOptions, probe?: SizeProbe): Promise<KeyVerdict[]> {
  const tolerance = options.ttlToleranceMs;
  const [onTarget, onSource] = await Promise.all([typesAndTtls(target, keys), typesAndTtls(source, keys)]);
  const verdicts: KeyVerdict[] = keys.map((_, i) => {
    const [type, ttl] = onSource[i]!;
    const [targetType, targetTtl] = onTarget[i]!;
    if (type === 'none' || ttl === -2) return 'gone';
    if (ttl >= 0 && ttl <= tolerance) return 'expiring';
    if (targetType === 'none') return 'missing';
    if (targetType !== type) return 'type';
    if ((ttl === -1) !== (targetTtl === -1) || Math.abs(ttl - targetTtl) > tolerance) return 'ttl';
    return null;
  });
  if (options.level === 'quick') return verdicts;

  const pending = keys.map((_, i) => i).filter((i) => verdicts[i] === null);
  const sizes = await (probe ?? new SizeProbe(source)).probe(pending.map((i) => keys[i]!));
  const big = options.bigKeyBytes ?? DEFAULT_BIG_KEY_BYTES;
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const n = next++;
      const i = pending[n]!;
      const key = keys[i]!;
      const type = onSource[i]![0];
      const size = sizes[n]!.bytes;
      if (size === null) {
        verdicts[i] = 'gone';
        continue;
      }
      if (size <= big) {
        const [a, b] = await Promise.all([source.dumpBuffer(key), target.dumpBuffer(key)]);
        if (a === null) {
          verdicts[i] = 'gone';
          continue;
        }
        if (b !== null && a.equals(b)) continue;
      }
      if (!(await sameValue(source, target, key, type, { chunkSize: options.chunkSize }))) verdicts[i] = 'value';
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  return verdicts;
}

/** TYPE and PTTL per key, sent concurrently (ioredis writes them back to back: one round trip). */
async function typesAndTtls(client: RedisClient, keys: Buffer[]): Promise<[string, number][]> {
  return Promise.all(keys.map(async (key) => {
    const [type, ttl] = await Promise.all([client.type(key), client.pttl(key)]);
    return [type, ttl] as [string, number];
  }));
}
