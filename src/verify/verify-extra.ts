import type { MigrationConfig } from '../core/config.js';
import type { TargetUnitDescriptor } from '../core/contracts.js';
import { walkExtraKeys } from '../core/extra-keys.js';
import { formatKey } from '../core/key-format.js';
import { emptyReport, type VerifyLevel } from '../core/verify-report.js';
import { openSourceExistence, type SourceExistence } from '../redis/source-exists.js';
import { type OpenedTargetUnit, openTargetUnit } from '../redis/target-unit.js';
import { DEFAULT_TEMP_PREFIX, isTempKey } from '../struct/temp-key.js';
import type { VerifyProgress, VerifyWalkOptions } from './verify-db.js';

/** Cursor and report are the target scan's; MATCH and TYPE are not applied (the target scan sees every key). */
export interface VerifyExtraOptions extends VerifyWalkOptions {
  level: VerifyLevel;
  /** A target key whose TTL is within this many ms of running out may be gone on the source already: not extra. */
  ttlToleranceMs: number;
}

/** What the check reads on the target: its keys, and their TTLs. */
export type ExtraCheckTarget = Pick<OpenedTargetUnit, 'scan' | 'ttls'>;

/**
 * Verify's extra-key check of one target unit: walks the target db (see walkExtraKeys) and counts
 * every key in the selection the source does not have as `extra`, with examples. A target key that
 * is gone, or whose TTL is within the tolerance of running out, by the time it is found absent on
 * the source is not counted (it may have expired on the source a moment earlier). Resumable like
 * verifyScan: the cursor is the target's.
 */
export async function verifyExtraScan(
  target: ExtraCheckTarget,
  source: SourceExistence,
  options: VerifyExtraOptions,
): Promise<VerifyProgress> {
  const report = options.report ?? emptyReport(options.level);
  report.targetChecked ??= 0;
  const maxExamples = options.maxExamples ?? 5;
  const prefix = options.tempPrefix ?? DEFAULT_TEMP_PREFIX;
  const filter = options.filter;
  const reached = await walkExtraKeys({
    targetScan: target,
    selects: (key) => !isTempKey(key, prefix) && (!filter || filter.passesAll || filter.allowsKey(key)),
    sourceExists: (keys) => source.exists(keys),
    cursor: options.cursor,
    shouldStop: options.shouldStop,
    onBatch: async (batch) => {
      report.targetChecked = (report.targetChecked ?? 0) + batch.checked;
      const ttls = await target.ttls(batch.extra);
      batch.extra.forEach((key, i) => {
        const ttl = ttls[i]!;
        if (ttl === -2 || (ttl >= 0 && ttl <= options.ttlToleranceMs)) return;
        report.differences.extra++;
        if (report.examples.extra.length < maxExamples) report.examples.extra.push(formatKey(key));
      });
      await options.onBatch?.({ cursor: batch.cursor, done: batch.done, report });
    },
  });
  return { ...reached, report };
}

/** A target unit's node and the source's existence checks, for the extra-key check or the delete pass. */
export interface ExtraCheckClients {
  target: OpenedTargetUnit;
  source: SourceExistence;
  close(): Promise<void>;
}

/** Opens both sides of a target unit: its target node (SCAN count at most 1000) and the source dbs mapped onto it. */
export async function openExtraCheck(
  config: MigrationConfig,
  unit: TargetUnitDescriptor,
  note: (message: string) => void = () => {},
): Promise<ExtraCheckClients> {
  const target = await openTargetUnit(config.target, unit, {
    count: Math.min(config.scan.count, 1000),
    match: config.scan.match,
    type: config.scan.type,
  });
  let source: SourceExistence;
  try {
    source = await openSourceExistence(config.source, unit.sourceDbs, note);
  } catch (error) {
    await target.close();
    throw error;
  }
  return { target, source, close: async () => void (await Promise.all([target.close(), source.close()])) };
}
