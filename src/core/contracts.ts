/**
 * The seams of the engine: where keys come from, where they go, and where progress is kept.
 * Adapters for Redis (src/redis) and for checkpoint storage (src/checkpoint, and DynamoDB in the
 * cloud) implement these; the copy loop in copy-unit.ts only ever talks to these interfaces.
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
) => Promise<{ status: 'copied' | 'existing' | 'gone' | 'expired' | 'unsupported'; bytes: number }>;

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
  batches: 0,
});

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

/**
 * Told about bulk writes made from reads, so a concurrent change-follower can tell which writes
 * may be stale: `readIssued()` is called before the reads a write batch is decided on and returns
 * a mark; `writeConfirmed(keys, mark)` after the target confirmed the batch, with that mark. Any
 * change the follower saw to one of `keys` after `mark` must be applied again.
 */
export interface BulkWriteObserver {
  readIssued(): number;
  writeConfirmed(keys: Buffer[], mark: number): void;
}

export type UnitStatus = 'pending' | 'running' | 'done' | 'failed';

export interface UnitCheckpoint {
  unitId: string;
  status: UnitStatus;
  /** Next SCAN cursor. A string: cursors are unsigned 64-bit and exceed 2^53. */
  cursor: string;
  /**
   * Cursor up to which RESTOREs may have been sent beyond `cursor` (see copy-unit.ts). A resumed
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
