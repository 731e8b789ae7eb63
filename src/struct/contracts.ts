import type { Cluster, Redis } from 'ioredis';

/**
 * Types of the type-by-type ("struct") copier. A key is copied by reading its value in chunks with
 * the type's own read commands and writing each chunk to a temporary key on the target, which is
 * RENAMEd over the real name at the end (see copy-key.ts for the protocol).
 */

/** A standalone node connection, or a cluster client (every command touches one hash slot). */
export type RedisClient = Redis | Cluster;

export type CommandArg = string | Buffer | number;
/** One command for the target: name, then arguments. */
export type Command = [name: string, ...args: CommandArg[]];

/** What a struct copy cannot carry, counted per key (see docs/fidelity.md). */
export type NotCarriedKind =
  /** A module type (or any type without read commands): struct mode cannot copy it at all. */
  | 'module-type'
  /** Stream consumers' last-seen / last-active times: reset to the copy time on the target. */
  | 'stream-consumer-seen-time'
  /** Pending entries whose message was deleted (XDEL) on the source: XCLAIM cannot recreate them. */
  | 'stream-pending-deleted-entry'
  /** Pending entries left out on purpose (streamPending = 'skip'). */
  | 'stream-pending'
  /** Consumers left out on purpose (streamPending = 'skip'). */
  | 'stream-consumers'
  /** entries-added / max-deleted-entry-id / entries-read on a target older than Redis 7.0. */
  | 'stream-counters';

export type NotCarriedCounts = Partial<Record<NotCarriedKind, number>>;

export interface StructCopyOptions {
  /**
   * Elements per chunk to start with: the COUNT of HSCAN/SSCAN/ZSCAN, the length of an LRANGE or
   * XRANGE page. Adapted after each chunk so a chunk stays near `chunkBytes`.
   * @default 1000
   */
  chunkSize?: number;
  /** Bytes per chunk aimed at (strings: exact GETRANGE length). @default 1 MiB */
  chunkBytes?: number;
  /**
   * Prefix of temporary key names; must not contain '{' or '}'.
   * @default DEFAULT_TEMP_PREFIX ("__redis-ferry:tmp:")
   */
  tempPrefix?: string;
  /** Overwrite a key the target already has (RENAME); false keeps it (RENAMENX, status 'existing'). */
  replace: boolean;
  /**
   * Time to live to give the key, in ms from the start of this call; 0 means none. When absent,
   * the source's PTTL is read when the value has been read (the freshest value).
   */
  ttlMs?: number;
  /**
   * Expiry of the temporary key while it is built, refreshed with every chunk: a worker that dies
   * mid-key leaves garbage that expires on its own. @default 3_600_000 (1 h)
   */
  tempTtlMs?: number;
  /** Stream consumers and pending entries: recreate them with XCLAIM … FORCE, or leave them out. @default 'claim' */
  streamPending?: 'claim' | 'skip';
  /** Aborts between chunks: the temporary key is removed and MigrationInterruptedError thrown. */
  signal?: AbortSignal;
  /** Called after every chunk the target confirmed. */
  onChunk?: (progress: { elements: number; bytes: number }) => void;
}

/**
 * copied: the key is on the target, whole. existing: the target had the key and `replace` was
 * false; nothing changed there. gone: the source key vanished (or emptied) during the copy.
 * expired: its TTL ran out during the copy. unsupported: a type struct mode cannot copy (counted in
 * `notCarried`); nothing was written. too-big: the target cannot hold the value, a string longer
 * than its proto-max-bulk-len (`bytes` holds the string's length); nothing was written.
 */
export type StructCopyStatus = 'copied' | 'existing' | 'gone' | 'expired' | 'unsupported' | 'too-big';

export interface StructCopyResult {
  key: Buffer;
  status: StructCopyStatus;
  /** TYPE on the source ('none' when gone before the copy began). */
  type: string;
  /** Elements written: fields, members, list items or stream entries; bytes for strings. */
  elements: number;
  /** Value bytes read from the source (keys, fields, members, scores, values). */
  bytes: number;
  /** Write round trips to the target. */
  chunks: number;
  /**
   * The source key's length (or, for a stream, its last id or counters) changed while it was read
   * in several chunks: the copy may mix states from before and after. A single-chunk read is one
   * command and cannot be torn.
   */
  changedDuringCopy: boolean;
  notCarried: NotCarriedCounts;
  /** The TTL given to the key in ms (0: none). */
  ttlMs: number;
  durationMs: number;
}

/** One step of a copy: the commands that write one chunk into the temporary key. */
export interface WriteStep {
  commands: Command[];
  elements: number;
  bytes: number;
  /** Sees the target's replies to `commands` (same order), e.g. to count what did not apply. */
  inspect?: (replies: unknown[]) => void;
}

/** Reads one key's value chunk by chunk and says how to write each chunk to the temporary key. */
export interface TypeReader {
  /** A command on the source whose reply changes when the value changes (its length, its last id). */
  readonly fingerprint: Command;
  /** The next chunk, or null when the value has been read whole. */
  next(): Promise<WriteStep | null>;
  /** What this key's copy could not carry, complete once next() returned null. */
  readonly notCarried: NotCarriedCounts;
}
