/**
 * The seams of the engine: where keys come from, where they go, and where progress is kept.
 * Adapters for Redis (src/redis) and for checkpoint storage (src/checkpoint, and DynamoDB in the
 * cloud) implement these; the copy loop (copy-unit.ts and its stages in copy/) only ever talks to these interfaces.
 */

/** One key as read from the source: its DUMP payload and its remaining time to live. */
export interface MigrationRecord {
  key: Buffer;
  payload: Buffer;
  /** Milliseconds left when PTTL was read; 0 means the key has no expiry. */
  pttlMs: number;
  /** Monotonic clock (ms) at which PTTL was read, so the writer can subtract the time in flight. */
  readAtMs: number;
}

/** One SCAN reply. */
export interface ScanPage {
  cursor: string;
  keys: Buffer[];
  /**
   * Keys the source walked past and left out itself, not returned (an RDB file's keys of another
   * type or name than SCAN TYPE/MATCH would return): counted as scanned and filtered.
   */
  skipped?: number;
}

/** Result of reading a batch: the records, and how many scanned keys vanished or expired first. */
export interface ReadResult {
  records: MigrationRecord[];
  gone: number;
  /** Keys too big to DUMP whole (see MigrationConfig.bigKeyThreshold), with their estimated size. */
  big?: { key: Buffer; bytes: number }[];
  /**
   * The rest of the batch, when reading it whole would hold too many bytes at once (see
   * ByteBudget): reads the next part. Called by the writer once it is ready for that part.
   */
  rest?: () => Promise<ReadResult>;
  /** Gives the bytes this result holds back to the process's read budget, once written. Idempotent. */
  release?: () => void;
}

/** Copies one key by type, in chunks (src/struct); used for big keys. */
export type BigKeyCopier = (
  key: Buffer,
  replace: boolean,
) => Promise<{ status: 'copied' | 'existing' | 'gone' | 'expired' | 'unsupported' | 'too-big'; bytes: number }>;

/**
 * Sees which keys a bulk pass wrote and when it read them, so a live follower can keep its copy newest.
 *
 * Why: a bulk pass RESTOREs values it read some time before. A follower that copies key K after an
 * event on K must never be overwritten by a bulk RESTORE of K read before that event. So the follower
 * stamps its events on the clock its marks come from, and once a batch is confirmed it re-copies every
 * key of the batch whose last event is newer than the batch's mark: that event may predate the bulk
 * write while postdating its read.
 *
 * How copyUnit calls it: `readIssued` once per batch, in SCAN order, just before the batch's read is
 * issued, so the mark is never later than any read of the batch (the later parts of a batch read in
 * parts, see ReadResult.rest, and its big keys, copied by type, are read after it). A batch whose keys
 * were all filtered out issues no read and is reported all the same, with no keys. `writeConfirmed`
 * follows once every write of the batch has resolved (in a dry run, once all its parts were read);
 * with several batches in flight, not necessarily in SCAN order. A batch never written in full (the
 * unit stopped or failed first) is never confirmed: a resume reads it again, with a new mark. Both run
 * on the copy's path: keep them cheap, and do not throw (an error fails the unit).
 */
export interface BulkWriteObserver {
  /** Called just before a batch's read (DUMP) is issued to the source; returns an opaque mark. */
  readIssued(): number;
  /** Called after the target confirmed the batch's writes (all its parts and big keys), with every key the batch
   *  read (the kept keys, written or not) and the mark returned when its read was issued. */
  writeConfirmed(keys: Buffer[], mark: number): void;
}

/** A source positioned on one unit (one server or shard, one logical db). */
export interface KeySource {
  scan(cursor: string): Promise<ScanPage>;
  /** DUMP + PTTL for each key, pipelined; keys gone or expired meanwhile are counted, not returned. */
  read(keys: Buffer[]): Promise<ReadResult>;
}

/** `replace`: RESTORE … REPLACE. `keep`: plain RESTORE, reporting keys that already exist. */
export type WriteMode = 'replace' | 'keep';

export interface WriteResult {
  written: number;
  bytes: number;
  /** Keys the target already held (BUSYKEY) in `keep` mode; they were not written. */
  existing: Buffer[];
  /** Records whose TTL ran out while in flight; not written, since they would already be gone. */
  expired: number;
  /** Keys the target cannot hold (see UnitCounters.skippedTooBig); not written. */
  tooBig?: Buffer[];
}

/** A target positioned on one logical db. */
export interface KeySink {
  /** Keys currently in the target db (DBSIZE; summed over masters for a cluster). */
  countKeys(): Promise<number>;
  write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult>;
}

/** One independently resumable piece of a migration: one source shard × one logical db. */
export interface UnitDescriptor {
  id: string;
  /** Human label, e.g. "127.0.0.1:6379 db0" or "shard 0-5460 db0". */
  label: string;
  sourceDb: number;
  targetDb: number;
  /** Address of the node the unit scans (the master, or a replica when preferred). */
  sourceAddress: string;
  /** For a cluster source: the slot ranges the shard serves, used to find it again after failover. */
  slots?: [number, number][];
  /** Cluster node id (or sentinel master name) of the node scanned at plan time; informational. */
  sourceNode?: string;
  /**
   * A unit of an RDB restore: the byte range of the file it walks, from a key record boundary
   * (`from`, in db `sourceDb`) to the next range's start, and how many keys the range holds.
   */
  rdbRange?: RdbRange;
}

/** A byte range of an RDB file holding keys of one db (see UnitDescriptor.rdbRange). */
export interface RdbRange {
  from: number;
  to: number;
  keys: number;
}

/** Which file a restore's plan was made from: a resume must find the same one (see MigrationPlan.rdb). */
export interface RdbFileIdentity {
  /** The path or s3:// URI, as given. */
  uri: string;
  size: number;
  /** What tells one version of the file from another: "mtime <ISO date>" for a local file, "etag <…>" for an S3 object. */
  version: string;
  /** The RDB format version of the file. */
  rdbVersion: number;
}

/**
 * One target node × logical db, walked from the target side: the keys the target has and the
 * source does not (verify's extra-key check, reconcile's delete pass). A cluster target has one per
 * master, found again by its slot ranges after a failover, as a source unit is.
 */
export interface TargetUnitDescriptor {
  /** "target/db0", or "target/slots-0-5460/db0" for a cluster master. */
  id: string;
  /** Human label, e.g. "127.0.0.1:6380 db0" or "shard 0-5460 @ 127.0.0.1:7000 db0". */
  label: string;
  targetDb: number;
  /** The selected source dbs the copy writes into `targetDb`: a target key is extra when none of them has it. */
  sourceDbs: number[];
  /** The node walked at plan time (a standalone address, the sentinel master, a cluster master). */
  targetAddress: string;
  /** For a cluster target: the master's slot ranges. */
  slots?: [number, number][];
}

export interface MigrationPlan {
  migrationId: string;
  units: UnitDescriptor[];
  /** The target side of the same selection, one per target node × db (absent in plans made before it existed). */
  targetUnits?: TargetUnitDescriptor[];
  createdAt: string;
  /** A restore's plan: the RDB file its ranges were cut from. */
  rdb?: RdbFileIdentity;
}

export interface UnitCounters {
  /** Keys returned by SCAN. */
  scanned: number;
  /** Keys left out by the key filters. */
  filtered: number;
  /** Keys written to the target. */
  copied: number;
  /** Of `copied`: keys written again after a resume (the batches the last checkpoint did not cover). */
  recopied: number;
  /** Keys left alone because the target already had them (policy `skip`). */
  skippedExisting: number;
  /** Keys deleted or expired between SCAN and the write. */
  skippedGone: number;
  /** Payload bytes written (DUMP size). */
  bytes: number;
  /** Of `copied`: big keys copied by type in chunks. */
  bigKeys: number;
  /** Keys that could not be copied at all (a module type in struct mode); see docs/fidelity.md. */
  notCopied: number;
  /** Keys left out because the target cannot hold them (a string longer than its proto-max-bulk-len; --on-too-big skip). */
  skippedTooBig: number;
  /** Batches confirmed by the target. */
  batches: number;
}

export const ZERO_COUNTERS: Readonly<UnitCounters> = Object.freeze({
  scanned: 0,
  filtered: 0,
  copied: 0,
  recopied: 0,
  skippedExisting: 0,
  skippedGone: 0,
  bytes: 0,
  bigKeys: 0,
  notCopied: 0,
  skippedTooBig: 0,
  batches: 0,
});

const COUNTER_NAMES = Object.keys(ZERO_COUNTERS) as (keyof UnitCounters)[];

/** Adds `delta` into `into`, field by field, and returns `into`. */
export function addCounters(into: UnitCounters, delta: Readonly<UnitCounters>): UnitCounters {
  // `?? 0`: a checkpoint written before a counter existed lacks it.
  for (const k of COUNTER_NAMES) into[k] += delta[k] ?? 0;
  return into;
}

/** The sum of several units' (or runs') counters. */
export function sumCounters(list: readonly Readonly<UnitCounters>[]): UnitCounters {
  return list.reduce<UnitCounters>((total, counters) => addCounters(total, counters), { ...ZERO_COUNTERS });
}

/** `a` minus `b`, field by field: what was counted since `b`. */
export function subtractCounters(a: Readonly<UnitCounters>, b: Readonly<UnitCounters>): UnitCounters {
  const out = { ...a };
  for (const k of COUNTER_NAMES) out[k] -= b[k];
  return out;
}

/**
 * What a reconcile pass found and did, beside the copy counters of the same unit. A source unit
 * counts the diff (compared = missing + different + unchanged); a target unit counts its delete pass.
 */
export interface ReconcileCounters {
  /** Source keys compared with the target. */
  compared: number;
  /** Of `compared`: written because the target did not have them. */
  missing: number;
  /** Of `compared`: written because the target held another value, type or TTL. */
  different: number;
  /** Of `compared`: equal on both sides, left alone. */
  unchanged: number;
  /** Target keys (within the selection) looked up on the source. */
  targetChecked: number;
  /** Of `targetChecked`: absent on the source, deleted from the target. */
  deleted: number;
}

export const ZERO_RECONCILE: Readonly<ReconcileCounters> = Object.freeze({
  compared: 0,
  missing: 0,
  different: 0,
  unchanged: 0,
  targetChecked: 0,
  deleted: 0,
});

const RECONCILE_NAMES = Object.keys(ZERO_RECONCILE) as (keyof ReconcileCounters)[];

/** The sum of reconcile counts (absent ones: a plain copy's checkpoint), field by field. */
export function sumReconcile(list: readonly (Readonly<ReconcileCounters> | undefined)[]): ReconcileCounters {
  const total = { ...ZERO_RECONCILE };
  for (const counts of list) if (counts) for (const k of RECONCILE_NAMES) total[k] += counts[k] ?? 0;
  return total;
}

/** `a` minus `b`, field by field: what was counted since `b`. */
export function subtractReconcile(a: Readonly<ReconcileCounters>, b: Readonly<ReconcileCounters>): ReconcileCounters {
  const out = { ...a };
  for (const k of RECONCILE_NAMES) out[k] -= b[k];
  return out;
}

export type UnitStatus = 'pending' | 'running' | 'done' | 'failed';

export interface UnitCheckpoint {
  unitId: string;
  status: UnitStatus;
  /** Next SCAN cursor. A string: cursors are unsigned 64-bit and exceed 2^53. */
  cursor: string;
  /**
   * Cursor up to which RESTOREs may have been sent beyond `cursor` (see copy/write-frontier.ts). A resumed
   * unit rewrites those batches with REPLACE: the keys there are this migration's own writes.
   */
  writeFrontier: string | null;
  counters: UnitCounters;
  /** Incremented by every save; a save must name the version it read (optimistic concurrency). */
  version: number;
  /** Who holds the unit now (a Lambda request id, a CLI process); stores may enforce it. */
  owner?: string;
  /**
   * The source node process `cursor` belongs to (address, run id, role), set by the unit session.
   * A cursor means nothing on another process (each seeds its hash function at random), so when
   * the unit's slots move to another node (failover) the scan restarts there from cursor 0.
   */
  scanNode?: string;
  /**
   * Restart marker: set (to why) when the scan restarted from cursor 0 after keys had been
   * written. Until the unit is done it meets its own earlier writes again, so the session writes
   * with REPLACE under the `fail` policy; `writeFrontier` is set to '0' (the end of the walk) too.
   */
  rescanReason?: string;
  /** A reconcile pass's own counts (see ReconcileCounters); absent for a plain copy. */
  reconcile?: ReconcileCounters;
  error?: string;
  updatedAt: string;
}

export function newCheckpoint(unitId: string): UnitCheckpoint {
  return {
    unitId,
    status: 'pending',
    cursor: '0',
    writeFrontier: null,
    counters: { ...ZERO_COUNTERS },
    version: 0,
    updatedAt: new Date(0).toISOString(),
  };
}

/**
 * Durable progress of one migration. Every unit save is conditional on the version the caller
 * read; a stale writer gets CheckpointConflictError and must stop.
 */
export interface CheckpointStore {
  loadPlan(): Promise<MigrationPlan | undefined>;
  savePlan(plan: MigrationPlan): Promise<void>;
  loadUnit(unitId: string): Promise<UnitCheckpoint | undefined>;
  /** Writes `checkpoint` if the stored version equals `checkpoint.version`; returns it with version + 1. */
  saveUnit(checkpoint: UnitCheckpoint): Promise<UnitCheckpoint>;
}

/** Sees which keys a bulk pass wrote and when it read them, so a live follower can keep its copy newest. */
export interface BulkWriteObserver {
  /** Called just before a batch's read (DUMP) is issued to the source; returns an opaque mark. */
  readIssued(): number;
  /**
   * Called after the target confirmed the batch's writes (all its parts and big keys), with every
   * key the batch read (the kept keys, written or not) and the mark returned when its read was issued.
   */
  writeConfirmed(keys: Buffer[], mark: number): void;
}
