import type { ConflictPolicy } from '../config.js';
import type { BigKeyCopier, ReadResult, UnitCounters, WriteResult } from '../contracts.js';
import { TargetKeyExistsError } from '../errors.js';
import { formatKey } from '../key-format.js';

/**
 * Adds what the target reported for one part's RESTOREs to the batch's counters. A key the target
 * already held is a conflict under the `fail` policy (BUSYKEY): nothing is counted, the unit stops.
 */
export function countWrite(result: WriteResult, policy: ConflictPolicy, counters: UnitCounters): void {
  if (result.existing.length > 0 && policy === 'fail') throw keyExists(result.existing[0]!);
  counters.copied += result.written;
  counters.skippedExisting += result.existing.length;
  counters.skippedGone += result.expired;
  counters.skippedTooBig += result.tooBig?.length ?? 0;
  counters.bytes += result.bytes;
}

/** A dry run counts what it would have written: every record and big key read. */
export function countDryRun({ records, big = [] }: ReadResult, counters: UnitCounters): void {
  counters.copied += records.length + big.length;
  counters.bigKeys += big.length;
  for (const r of records) counters.bytes += r.payload.length;
  for (const b of big) counters.bytes += b.bytes;
}

/** Adds one big key's outcome; a key the copier finds on the target is a conflict like BUSYKEY. */
export function countBigKey(key: Buffer, result: Awaited<ReturnType<BigKeyCopier>>, policy: ConflictPolicy, counters: UnitCounters): void {
  switch (result.status) {
    case 'copied':
      counters.copied++;
      counters.bigKeys++;
      counters.bytes += result.bytes;
      break;
    case 'existing':
      if (policy === 'fail') throw keyExists(key);
      counters.skippedExisting++;
      break;
    case 'gone':
    case 'expired':
      counters.skippedGone++;
      break;
    case 'unsupported':
      counters.notCopied++;
      break;
    case 'too-big':
      counters.skippedTooBig++;
      break;
  }
}

function keyExists(key: Buffer): TargetKeyExistsError {
  return new TargetKeyExistsError(
    key,
    `target already has key ${formatKey(key)}; stopped without overwriting it. ` +
      'Set rdb_restore_command_behavior = "rewrite" (or --on-existing replace) to overwrite, ' +
      'or "skip" to keep the target\'s value',
  );
}
