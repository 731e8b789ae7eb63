import { basename } from 'node:path';
import { targetDbFor } from '../../core/config.js';
import type { CheckpointStore, MigrationPlan, UnitDescriptor } from '../../core/contracts.js';
import { ConfigError, RestoreFileChangedError } from '../../core/errors.js';
import { createKeyFilter } from '../../core/key-filter.js';
import type { RestoreConfig } from '../../core/restore-config.js';
import { type RdbRange, splitRdb } from '../../rdb/split-rdb.js';
import { measureRoundTrip } from '../../redis/round-trip.js';
import { discoverTarget, type TargetLayout } from '../../redis/target-access.js';
import { planTargetUnits } from '../plan-units.js';
import { preflightTarget } from '../preflight.js';
import { type OpenedRdb, sameFile } from './rdb-file.js';
import { loadFileFunctions } from './restore-functions.js';

export interface PlannedRestore {
  plan: MigrationPlan;
  /** True when the plan was already stored: the restore resumes. */
  resumed: boolean;
  target: TargetLayout;
}

/** A range holds this many bytes of file at least, by default (see rangeCount). */
const BYTES_PER_RANGE = 64 * 1024 * 1024;
/** A range per this much round trip to the target, by default (see rangeCount). */
const RTT_MS_PER_RANGE = 5;

/**
 * Where the ranges run: all in this process (the CLI), where ranges add batches in flight and not
 * CPU, so their number follows the round trip to the target; or each in a worker of its own (a
 * Lambda), where they are real parallelism, so their number follows the file's size.
 */
export type RangeWorkers = 'one-process' | 'one-per-range';

/**
 * Discovers the target, then reuses the stored plan (resume: only when the file is the same one,
 * by size and modification time) or makes a new one: the file split into byte ranges at key
 * boundaries (one db each), one unit per range, checked against the target (preflight), the file's
 * functions loaded, and the plan saved last, so a refused restore leaves no state behind.
 */
export async function planRestore(
  config: RestoreConfig,
  migrationId: string,
  store: CheckpointStore,
  rdb: OpenedRdb,
  note: (message: string) => void,
  workers: RangeWorkers = 'one-process',
): Promise<PlannedRestore> {
  const target = await discoverTarget(config.target, config.mode !== 'struct');
  for (const message of target.notes) note(message);
  const stored = await store.loadPlan();
  if (stored) {
    if (!stored.rdb || !sameFile(stored.rdb, rdb.identity)) throw fileChanged(migrationId, stored, rdb);
    return { plan: stored, resumed: true, target };
  }
  const byDistance = config.parallel === 0 && workers === 'one-process';
  const rttMs = byDistance ? await measureRoundTrip(config.target, target.masters[0]!) : undefined;
  const ranges = await splitRdb(rdb.source, rangeCount(config, rdb.identity.size, rttMs), rdb.header);
  const units = restoreUnits(config, ranges, target, rdb.identity.uri);
  await preflightTarget(config, units, note);
  await loadFileFunctions(config, rdb, target, note);
  const plan: MigrationPlan = {
    migrationId,
    units,
    targetUnits: planTargetUnits(units, target),
    createdAt: new Date().toISOString(),
    rdb: rdb.identity,
  };
  await store.savePlan(plan);
  return { plan, resumed: false, target };
}

/**
 * Ranges asked of the splitter: --parallel; else one per 64 MiB of file, at most the units run at
 * once; and when the ranges run in one process (`rttMs` given), no more than one per 5 ms of round
 * trip to the target. Why the round trip: in one process ranges bring no more CPU, only batches in flight.
 * One range keeps two batches (~2,000 keys) in flight, which at 5 ms moves ~400k keys/s, more than
 * one Redis ingests; nearer targets get one range, which measured ~25% less client CPU and ~40% less
 * memory than four on the same file (bench/RESULTS.md).
 */
export function rangeCount(config: RestoreConfig, size: number, rttMs?: number): number {
  if (config.parallel > 0) return config.parallel;
  const cap = config.concurrency > 0 ? config.concurrency : 16;
  const forDistance = rttMs === undefined ? cap : Math.ceil(rttMs / RTT_MS_PER_RANGE);
  return Math.max(1, Math.min(cap, forDistance, Math.ceil(size / BYTES_PER_RANGE)));
}

/** One unit per range of a selected db; a db the target cannot hold (a cluster has db 0 only) is refused, with the fix. */
export function restoreUnits(config: RestoreConfig, ranges: RdbRange[], target: TargetLayout, uri: string): UnitDescriptor[] {
  const filter = createKeyFilter(config.filter);
  const selected = ranges.filter(({ from }) => (config.dbs.length === 0 || config.dbs.includes(from.db)) && filter.allowsDb(from.db));
  const bad = [...new Set(selected.map((r) => r.from.db))].filter((db) => targetDbFor(config, db) > target.maxDb).sort((a, b) => a - b);
  if (bad.length > 0) {
    const where = target.kind === 'cluster' ? 'target is a cluster, which has db 0 only' : `target has dbs 0-${target.maxDb} only`;
    throw new ConfigError([
      `${where}, but the file holds keys in db(s) ${bad.join(', ')}: map them with --db-map ` +
        `${bad.map((d) => `${d}:0`).join(',')} (db_map in [redis_writer]), or leave them out with --dbs`,
    ]);
  }
  const name = basename(uri);
  return selected.map(({ from, to, keys }) => {
    const targetDb = targetDbFor(config, from.db);
    const dbLabel = targetDb === from.db ? `db${from.db}` : `db${from.db}→db${targetDb}`;
    return {
      id: `db${from.db}@${from.offset}`,
      label: `${name} bytes ${from.offset}-${to} ${dbLabel} (${keys} keys)`,
      sourceDb: from.db,
      targetDb,
      sourceAddress: uri,
      rdbRange: { from: from.offset, to, keys },
    };
  });
}

function fileChanged(migrationId: string, stored: MigrationPlan, rdb: OpenedRdb): RestoreFileChangedError {
  const was = stored.rdb ? `${stored.rdb.uri} (${stored.rdb.size} bytes, ${stored.rdb.version})` : 'no RDB file (a migrate checkpoint)';
  const now = rdb.identity;
  return new RestoreFileChangedError(
    `restore ${migrationId} was started from ${was}, but ${now.uri} is now ${now.size} bytes, ${now.version}: ` +
      'put the original file back to resume, or start over with --fresh (or another --id)',
  );
}
