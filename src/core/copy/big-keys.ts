import type { ConflictPolicy } from '../config.js';
import type { BigKeyCopier, UnitCounters } from '../contracts.js';
import { BigKeyCopierMissingError } from '../errors.js';
import { formatKey } from '../key-format.js';
import { countBigKey } from './write-counts.js';

/**
 * Copies the keys the source reported as too big to DUMP whole, one at a time: each is already
 * chunked, and copying several at once would multiply the memory a chunk takes.
 */
export async function copyBigKeys(
  big: { key: Buffer }[],
  copy: BigKeyCopier | undefined,
  replace: boolean,
  policy: ConflictPolicy,
  counters: UnitCounters,
): Promise<void> {
  if (!copy) throw noCopier(big[0]!.key);
  for (const { key } of big) countBigKey(key, await copy(key, replace), policy, counters);
}

function noCopier(key: Buffer): BigKeyCopierMissingError {
  return new BigKeyCopierMissingError(
    key,
    `the source reported big key ${formatKey(key)} but no big-key copier is configured; ` +
      'pass copyBigKey to copyUnit, or read with bigKeyThreshold 0 so that no key is reported as big',
  );
}
