/** What the walker reads from an RDB file (the contract of Seam 2 in the RDB restore plan). */

export interface RdbHeader {
  version: number;
  /** AUX fields before the first other record (redis-ver, ctime, used-mem, repl-id, …). */
  aux: Map<string, Buffer>;
  /** Offset of the first record after the header. */
  bodyOffset: number;
}

/** Where a walk can start or resume: a record boundary, and the db selected there. */
export interface RdbPosition {
  offset: number;
  db: number;
}

export interface RdbKey {
  kind: 'key';
  db: number;
  key: Buffer;
  /** RDB object type byte (RDB_TYPE_*) as in the file. */
  type: number;
  /** Absolute expiry in ms since the epoch, or null. */
  expireAtMs: number | null;
  /**
   * The serialized object exactly as in the file (type byte excluded): type byte + object + DUMP
   * trailer is a RESTORE payload. A view into the walker's read buffer: it is never written to, and
   * keeping it keeps that buffer (about 1 MiB) alive, so copy it to hold it long.
   */
  object: Buffer;
  /** Record bounds in the file (start includes the EXPIRETIME/IDLE/FREQ prefix); `end` is the next record's offset. */
  start: number;
  end: number;
}

/** A library of Redis functions (FUNCTION2, or the 7.0 release candidates' FUNCTION record). */
export interface RdbFunction {
  kind: 'function';
  /** The library source as FUNCTION LOAD takes it (`#!lua name=…` first line). */
  code: Buffer;
  start: number;
  end: number;
}

export type RdbRecord = RdbKey | RdbFunction;

export interface WalkOptions {
  /** The header, when already read (saves reading it again). */
  header?: RdbHeader;
  /** Where to start; default: the header's bodyOffset, db 0. */
  from?: RdbPosition;
  /** Stop before the first record that starts at or after this offset; default: the end of the file. */
  to?: number;
  /**
   * Check the file's CRC-64 at its EOF record. Only possible when the walk starts at the body and
   * runs to the end (the checksum covers the whole file); true by default then, ignored otherwise.
   */
  verifyChecksum?: boolean;
  signal?: AbortSignal;
}
