import type { BigKeyCopier } from '../core/contracts.js';
import type { RedisClient } from '../struct/contracts.js';
import { sameValue } from './compare-value.js';
import type { DiffOutcome } from './diffing-sink.js';

export interface DiffingBigKeyOptions {
  source: RedisClient;
  target: RedisClient;
  ttlToleranceMs: number;
  /** Each copied or unchanged key's outcome. */
  onOutcome?: (key: Buffer, outcome: DiffOutcome) => void;
}

/**
 * The big-key half of a reconcile pass: a key too big to DUMP whole is compared by type, chunk by
 * chunk (compare-value.ts), with its TYPE and TTL, and copied by `copy` only when it differs. An
 * unchanged key is reported as `existing`, which the copy loop counts as skippedExisting.
 */
export function diffingBigKeyCopier(copy: BigKeyCopier, options: DiffingBigKeyOptions): BigKeyCopier {
  const { source, target } = options;
  return async (key, replace) => {
    const [[type, ttl], [targetType, targetTtl]] = await Promise.all([typeAndTtl(source, key), typeAndTtl(target, key)]);
    let outcome: DiffOutcome = 'different';
    if (type === 'none') return copy(key, replace); // gone meanwhile: the copier says so
    if (targetType === 'none') outcome = 'missing';
    else if (targetType === type && sameTtl(ttl, targetTtl, options.ttlToleranceMs) && (await sameValue(source, target, key, type)))
      outcome = 'unchanged';
    if (outcome === 'unchanged') {
      options.onOutcome?.(key, outcome);
      return { status: 'existing', bytes: 0 };
    }
    const result = await copy(key, replace);
    if (result.status === 'copied') options.onOutcome?.(key, outcome);
    return result;
  };
}

async function typeAndTtl(client: RedisClient, key: Buffer): Promise<[string, number]> {
  return Promise.all([client.type(key), client.pttl(key)]);
}

function sameTtl(a: number, b: number, tolerance: number): boolean {
  if (a === -1 || b === -1) return a === b;
  return Math.abs(a - b) <= tolerance;
}
