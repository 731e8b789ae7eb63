import { Cluster } from 'ioredis';
import type { UnitDescriptor } from '../../core/contracts.js';
import { createKeyFilter } from '../../core/key-filter.js';
import { formatKey } from '../../core/key-format.js';
import type { RestoreConfig } from '../../core/restore-config.js';
import {
  emptyReport,
  type MigrationVerifyResult,
  mergeReports,
  totalDifferences,
  type VerifyLevel,
  type VerifyReport,
} from '../../core/verify-report.js';
import { decodeObject } from '../../rdb/decode-object.js';
import { ClusterRouter } from '../../redis/cluster-router.js';
import { baseOptions, connectCluster, openPipe, parseAddress } from '../../redis/connect.js';
import type { TargetLayout } from '../../redis/target-access.js';
import { dumpBody, dumpRdbVersion, valueTypeOfRdbType } from '../../struct/dump-version.js';
import { clusterPipeReader } from '../../verify/cluster-state-reader.js';
import { clientReader, type KeyStateReader, pipeReader } from '../../verify/key-state-reader.js';
import type { MigrationSummary } from '../run-migration.js';
import type { OpenedRdb } from './rdb-file.js';
import { RdbKeySource } from './rdb-key-source.js';
import { sameDecoded } from './same-decoded.js';

export interface VerifyRestoreOptions {
  config: RestoreConfig;
  migrationId: string;
  rdb: OpenedRdb;
  units: UnitDescriptor[];
  target: TargetLayout;
  /** Keys skipped as too big for the target: missing there by choice, tolerated. */
  tooBig: number;
  shouldStop: () => boolean;
}

const TTL_TOLERANCE_MS = 1000;
const BATCH = 500;

/**
 * The check after a restore: every selected key of the file (each range, with the restore's filters)
 * against the target. quick: it exists there with the type its record's type byte names and a TTL
 * within a second of what its absolute expiry leaves. full: the value too: the target's DUMP body
 * equal to the file's type byte + object (the same encoding), or else both decoded and compared as
 * values (another encoding, another RDB version, hash tables in another order). Keys over the
 * big-key threshold are compared at the quick level only, so verifying never DUMPs a big key.
 * Keys expired (or within the tolerance of expiring) are skipped. A check that cannot run is
 * reported as verifyError, not as a failed restore.
 */
export async function verifyRestore(options: VerifyRestoreOptions): Promise<Pick<MigrationSummary, 'verify' | 'verifyError'>> {
  const { config, units } = options;
  const level: VerifyLevel = config.verify === 'full' ? 'full' : 'quick';
  const started = performance.now();
  const startedAt = new Date().toISOString();
  try {
    const results: MigrationVerifyResult['units'] = [];
    for (const unit of units) {
      if (options.shouldStop()) break;
      results.push({ unitId: unit.id, label: unit.label, targetDb: unit.targetDb, report: await verifyUnit(options, unit, level) });
    }
    const totals = mergeReports(
      level,
      results.map((u) => u.report),
      5,
    );
    const mismatches = totalDifferences(totals);
    const maxMismatches = config.maxMismatches + options.tooBig;
    const verify: MigrationVerifyResult = {
      migrationId: options.migrationId,
      level,
      startedAt,
      durationMs: performance.now() - started,
      units: results,
      totals,
      mismatches,
      maxMismatches,
      passed: mismatches <= maxMismatches && results.length === units.length,
    };
    return { verify };
  } catch (error) {
    return { verifyError: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

async function verifyUnit(options: VerifyRestoreOptions, unit: UnitDescriptor, level: VerifyLevel): Promise<VerifyReport> {
  const { report } = await verifyRestoreRange({ ...options, unit, level, cursor: '0', report: emptyReport(level) });
  return report;
}

/** Where a range unit's verification stands: the next cursor (a byte offset; '0' with done), and what it found. */
export interface RangeVerifyProgress {
  cursor: string;
  done: boolean;
  report: VerifyReport;
}

export interface RangeVerifyOptions {
  config: RestoreConfig;
  rdb: OpenedRdb;
  unit: UnitDescriptor;
  target: TargetLayout;
  level: VerifyLevel;
  /** Where to go on from ('0': the range's start), and the report so far (added to in place). */
  cursor: string;
  report: VerifyReport;
  shouldStop: () => boolean;
  /** After each batch compared: a resumable point (the serverless verify saves it). */
  onBatch?: (progress: RangeVerifyProgress) => Promise<void>;
}

/**
 * One range unit's keys of the file compared with the target, batch by batch from `cursor` until the
 * range's end or a stop: what verifyRestore does per unit, resumable (the state machine's verify slices).
 */
export async function verifyRestoreRange(options: RangeVerifyOptions): Promise<RangeVerifyProgress> {
  const { config, rdb, unit, level, report } = options;
  const range = unit.rdbRange!;
  const filter = createKeyFilter(config.filter);
  const file = new RdbKeySource({
    source: rdb.source,
    header: rdb.header,
    range: { from: range.from, to: range.to, db: unit.sourceDb },
    count: BATCH,
    bigKeyBytes: 0,
    match: config.scan.match,
    type: config.scan.type,
  });
  const reader = await openTargetReader(config, options.target, unit.targetDb);
  let cursor = options.cursor;
  try {
    do {
      const page = await file.scan(cursor);
      cursor = page.cursor;
      const keys = filter.passesAll ? page.keys : page.keys.filter((k) => filter.allowsKey(k));
      if (keys.length > 0) await compareBatch(keys, file, reader.reader, level, config.bigKeyThreshold, rdb.header.version, report);
      await options.onBatch?.({ cursor, done: cursor === '0', report });
    } while (cursor !== '0' && !options.shouldStop());
  } finally {
    await Promise.all([file.close(), reader.close()]);
  }
  return { cursor, done: cursor === '0', report };
}

async function compareBatch(
  keys: Buffer[],
  file: RdbKeySource,
  target: KeyStateReader,
  level: VerifyLevel,
  bigKeyBytes: number,
  rdbVersion: number,
  report: VerifyReport,
): Promise<void> {
  const now = Date.now();
  const states = await target.typesAndTtls(keys);
  const judged: { key: Buffer; verdict: 'missing' | 'type' | 'ttl' | 'value' | null }[] = [];
  const toCompare: number[] = [];
  keys.forEach((key, i) => {
    const record = file.recordOf(key);
    const ttl = record.expireAtMs === null ? -1 : record.expireAtMs - now;
    if (ttl !== -1 && ttl <= TTL_TOLERANCE_MS) {
      report.skipped++;
      return;
    }
    const [type, targetTtl] = states[i]!;
    const expected = valueTypeName(record.type);
    let verdict: 'missing' | 'type' | 'ttl' | null = null;
    if (type === 'none') verdict = 'missing';
    else if (expected !== undefined && type !== expected) verdict = 'type';
    else if ((ttl === -1) !== (targetTtl === -1) || Math.abs(ttl - targetTtl) > TTL_TOLERANCE_MS) verdict = 'ttl';
    judged.push({ key, verdict });
    if (verdict === null && level === 'full' && !(bigKeyBytes > 0 && record.object.length > bigKeyBytes)) toCompare.push(judged.length - 1);
  });
  if (toCompare.length > 0) {
    const dumps = await target.dumps(toCompare.map((j) => judged[j]!.key));
    toCompare.forEach((j, n) => {
      const dump = dumps[n];
      const record = file.recordOf(judged[j]!.key);
      if (dump === null || dump === undefined) judged[j]!.verdict = 'missing';
      else if (!sameValue(record.type, record.object, rdbVersion, dump)) judged[j]!.verdict = 'value';
    });
  }
  for (const { key, verdict } of judged) {
    report.checked++;
    if (verdict === null) continue;
    report.differences[verdict]++;
    if (report.examples[verdict].length < 5) report.examples[verdict].push(formatKey(key));
  }
}

/** Equal bytes (type byte + object), or equal values once both are decoded. */
function sameValue(type: number, object: Buffer, rdbVersion: number, dump: Buffer): boolean {
  const body = dumpBody(dump);
  if (body[0] === type && body.length === object.length + 1 && body.subarray(1).equals(object)) return true;
  try {
    return sameDecoded(decodeObject(type, object, rdbVersion), decodeObject(body[0]!, body.subarray(1), dumpRdbVersion(dump)));
  } catch {
    return false;
  }
}

function valueTypeName(type: number): string | undefined {
  // Hashes with field TTLs (Redis 7.4: 22-25) are hashes; module values answer TYPE with their module's name.
  return type >= 22 && type <= 25 ? 'hash' : valueTypeOfRdbType(type);
}

/** How TYPE, PTTL and DUMP are read on the target db: its node's pipe, or per master of a cluster. */
async function openTargetReader(
  config: RestoreConfig,
  target: TargetLayout,
  db: number,
): Promise<{ reader: KeyStateReader; close(): Promise<void> }> {
  if (target.kind !== 'cluster') {
    const address = target.masters[0]!;
    const pipe = await openPipe('target', config.target, address, db);
    return { reader: pipeReader(pipe, 'target', address), close: async () => pipe.close() };
  }
  const client = await connectCluster(
    new Cluster(config.target.addresses.map(parseAddress), { redisOptions: baseOptions(config.target, 'target'), lazyConnect: true }),
    'target',
  );
  const router = await ClusterRouter.open(config.target);
  return {
    reader: clusterPipeReader(router, clientReader(client)),
    close: async () => {
      await router.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
