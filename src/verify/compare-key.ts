import type { KeyDifference, VerifyLevel } from '../core/verify-report.js';
import type { RedisClient } from '../struct/contracts.js';
import { DEFAULT_BIG_KEY_BYTES, SizeProbe } from '../struct/size-probe.js';
import { sameValue } from './compare-value.js';
import { clientReader, type KeyStateReader } from './key-state-reader.js';

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
  /**
   * How TYPE, PTTL and DUMP are read on each side (see key-state-reader.ts): over the nodes'
   * RespPipes where the caller has them. @default one ioredis command per key
   */
  readers?: { source: KeyStateReader; target: KeyStateReader };
}

/** DUMP payloads compared at once per side, at most (by probed size; at least one key). */
const DUMP_GROUP_BYTES = 8 * 1024 * 1024;

/** The outcome for one key: a difference, none (null), or why it was not judged. */
export type KeyVerdict = Exclude<KeyDifference, 'extra'> | null | 'gone' | 'expiring';

/**
 * Compares a batch of keys (read from the source) with the target. For each key: TYPE and PTTL on
 * both sides, then, at level full, the value: equal DUMP payloads, or else a type-aware comparison
 * (compare-value.ts), since servers serialize hash-table–encoded hashes and sets in their own
 * order, so equal values can have different DUMP bytes. Keys above `bigKeyBytes` skip DUMP, and
 * the DUMPs go in groups of at most 8 MB, so verifying holds no more than copying does.
 *
 * Not differences: a key that left the source meanwhile ('gone'), and a key whose TTL is within
 * the tolerance of running out on the source ('expiring': it may legitimately be gone on the
 * target already).
 */
export async function compareKeys(
  source: RedisClient,
  target: RedisClient,
  keys: Buffer[],
  options: CompareOptions,
  probe?: SizeProbe,
): Promise<KeyVerdict[]> {
  const tolerance = options.ttlToleranceMs;
  const readers = options.readers ?? { source: clientReader(source), target: clientReader(target) };
  const [onTarget, onSource] = await Promise.all([readers.target.typesAndTtls(keys), readers.source.typesAndTtls(keys)]);
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
  const pendingKeys = pending.map((i) => keys[i]!);
  const sizes =
    (await readers.source.sizes?.(pendingKeys)) ?? (await (probe ?? new SizeProbe(source)).probe(pendingKeys)).map((s) => s.bytes);
  const big = options.bigKeyBytes ?? DEFAULT_BIG_KEY_BYTES;
  // Equal DUMP bytes settle most keys in one round trip per group; the rest (different bytes,
  // big keys) are compared by type, key by key.
  const byType: number[] = [];
  let group: number[] = [];
  let groupBytes = 0;
  const flush = async () => {
    if (group.length === 0) return;
    const groupKeys = group.map((i) => keys[i]!);
    const [a, b] = await Promise.all([readers.source.dumps(groupKeys), readers.target.dumps(groupKeys)]);
    group.forEach((i, n) => {
      if (a[n] === null) verdicts[i] = 'gone';
      else if (b[n] === null || !a[n]!.equals(b[n]!)) byType.push(i);
    });
    group = [];
    groupBytes = 0;
  };
  for (let n = 0; n < pending.length; n++) {
    const i = pending[n]!;
    const size = sizes[n]!;
    if (size === null) verdicts[i] = 'gone';
    else if (size > big) byType.push(i);
    else {
      if (group.length > 0 && groupBytes + size > DUMP_GROUP_BYTES) await flush();
      group.push(i);
      groupBytes += size;
    }
  }
  await flush();
  let next = 0;
  const worker = async () => {
    while (next < byType.length) {
      const i = byType[next++]!;
      if (!(await sameValue(source, target, keys[i]!, onSource[i]![0], { chunkSize: options.chunkSize }))) verdicts[i] = 'value';
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  return verdicts;
}
