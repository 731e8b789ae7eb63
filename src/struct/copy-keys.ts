import type { RedisClient, StructCopyOptions, StructCopyResult } from './contracts.js';
import { copyKeyByType } from './copy-key.js';

/**
 * copyKeyByType for many keys, `concurrency` at a time (small keys are latency-bound: each costs
 * about three round trips). Results come back in the order of `keys`. The first error stops new
 * copies and is rethrown once those in flight have settled.
 */
export async function copyKeysByType(
  source: RedisClient,
  target: RedisClient,
  keys: Buffer[],
  options: StructCopyOptions & { concurrency?: number },
): Promise<StructCopyResult[]> {
  const results: StructCopyResult[] = new Array(keys.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < keys.length) {
      const i = next++;
      try {
        results[i] = await copyKeyByType(source, target, keys[i]!, options);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, keys.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
