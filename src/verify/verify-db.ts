import type { KeyFilter } from '../core/key-filter.js';
import { formatKey } from '../core/key-format.js';
import { emptyReport, type VerifyReport } from '../core/verify-report.js';
import type { RedisClient } from '../struct/contracts.js';
import { SizeProbe } from '../struct/size-probe.js';
import { DEFAULT_TEMP_PREFIX, isTempKey } from '../struct/temp-key.js';
import { type CompareOptions, compareKeys } from './compare-key.js';

/** What both walks of a verify pass (source keys on the target, target keys on the source) take. */
export interface VerifyWalkOptions {
  /** The copy's key filter: keys it left out are neither expected on the target nor extra there. */
  filter?: KeyFilter;
  /** Temporary keys of big-key copies (in progress) are never compared nor extra. @default DEFAULT_TEMP_PREFIX */
  tempPrefix?: string;
  /** Example keys kept per kind of difference. @default 5 */
  maxExamples?: number;
  /** Resume: the cursor and report a previous call returned. */
  cursor?: string;
  report?: VerifyReport;
  /** Asked before each batch; true returns the position reached (for deadlines, Ctrl-C). */
  shouldStop?: () => boolean;
  /** After each batch, e.g. to save the position. */
  onBatch?: (progress: VerifyProgress) => void | Promise<void>;
}

export interface VerifyScanOptions extends CompareOptions, VerifyWalkOptions {
  /** SCAN COUNT (keys per batch). @default 500 */
  count?: number;
  /** The copy's SCAN MATCH / TYPE: keys it left out are not expected on the target. */
  match?: string;
  type?: string;
}

export interface VerifyProgress {
  /** Next SCAN cursor; '0' with done = true when the walk finished. */
  cursor: string;
  done: boolean;
  report: VerifyReport;
}

/**
 * Walks one source db (one unit) with SCAN and compares every key with the target db (see
 * compare-key.ts). Resumable: give back the returned cursor and report to continue, as a Lambda
 * with a deadline would. A live source keeps changing, so keys written after the copy show up as
 * differences; deleted and expiring ones are counted as skipped.
 */
export async function verifyScan(source: RedisClient, target: RedisClient, options: VerifyScanOptions): Promise<VerifyProgress> {
  const report = options.report ?? emptyReport(options.level);
  const maxExamples = options.maxExamples ?? 5;
  const prefix = options.tempPrefix ?? DEFAULT_TEMP_PREFIX;
  const probe = new SizeProbe(source);
  const scanArgs = [
    ...(options.match ? ['MATCH', options.match] : []),
    'COUNT',
    options.count ?? 500,
    ...(options.type ? ['TYPE', options.type] : []),
  ];
  let cursor = options.cursor ?? '0';
  let started = options.cursor !== undefined && options.cursor !== '0';
  while (!started || cursor !== '0') {
    if (options.shouldStop?.()) return { cursor, done: false, report };
    started = true;
    const [next, scanned] = (await source.callBuffer('SCAN', cursor, ...scanArgs)) as [Buffer, Buffer[]];
    cursor = next.toString();
    const keys = scanned.filter(
      (k) => !isTempKey(k, prefix) && (!options.filter || options.filter.passesAll || options.filter.allowsKey(k)),
    );
    const verdicts = keys.length > 0 ? await compareKeys(source, target, keys, options, probe) : [];
    verdicts.forEach((verdict, i) => {
      if (verdict === 'gone' || verdict === 'expiring') {
        report.skipped++;
        return;
      }
      report.checked++;
      if (verdict === null) return;
      report.differences[verdict]++;
      if (report.examples[verdict].length < maxExamples) report.examples[verdict].push(formatKey(keys[i]!));
    });
    await options.onBatch?.({ cursor, done: cursor === '0', report });
  }
  return { cursor: '0', done: true, report };
}

/** The whole db in one call. */
export async function verifyDb(
  source: RedisClient,
  target: RedisClient,
  options: Omit<VerifyScanOptions, 'cursor' | 'report'>,
): Promise<VerifyReport> {
  return (await verifyScan(source, target, options)).report;
}
