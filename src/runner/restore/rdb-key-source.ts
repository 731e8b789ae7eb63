import type { KeySource, MigrationRecord, ReadResult, ScanPage } from '../../core/contracts.js';
import { InternalError } from '../../core/errors.js';
import { globMatch } from '../../core/glob-match.js';
import { formatKey } from '../../core/key-format.js';
import type { CursorOrder } from '../../core/scan-position.js';
import type { ByteSource } from '../../rdb/byte-source.js';
import { restorePayloadInto, restorePayloadLength } from '../../rdb/dump-payload.js';
import { type RdbHeader, type RdbKey, type RdbRecord, walkRdbBatches } from '../../rdb/walk-rdb.js';
import { valueTypeOfRdbType } from '../../struct/dump-version.js';

export interface RdbKeySourceOptions {
  source: ByteSource;
  header: RdbHeader;
  /** The unit's range: from a key record boundary in db `db`, to the next range's start. */
  range: { from: number; to: number; db: number };
  /** Keys walked per page (the batch size, as SCAN's COUNT). */
  count: number;
  /** A page ends early once it holds this many object bytes, so read-ahead stays bounded in bytes. @default 1 MiB */
  pageBytes?: number;
  /** Objects larger than this are reported as big (copied by decoding, in chunks); 0: none. */
  bigKeyBytes: number;
  /** SCAN MATCH and TYPE, applied to the file's keys (the type from the record's type byte, no decoding). */
  match?: string;
  type?: string;
  /** Wall clock, for the absolute expiries in the file. */
  now?: () => number;
  /** Monotonic clock the sink measures time in flight with (MigrationRecord.readAtMs). */
  clock?: () => number;
}

const PAGE_BYTES = 1024 * 1024;

/** A record read from the file: its RESTORE payload, and the file's record (to write it by type instead). */
export interface RdbMigrationRecord extends MigrationRecord {
  rdb: RdbKey;
}

/** The file's record behind a MigrationRecord an RdbKeySource read. */
export function rdbRecordOf(record: MigrationRecord): RdbKey {
  const rdb = (record as Partial<RdbMigrationRecord>).rdb;
  if (!rdb) throw new InternalError(`key ${formatKey(record.key)} was not read from an RDB file`);
  return rdb;
}

/**
 * A cursor of an RDB range: `'0'` is the range's start on the first call and its end when returned,
 * as with SCAN; any other cursor is the byte offset of the next record to walk. They order as numbers.
 */
export const rdbCursorOrder: CursorOrder = (cursor, atEnd = false) => (cursor === '0' ? (atEnd ? 1n << 63n : 0n) : BigInt(cursor));

/**
 * One range of an RDB file as a KeySource, so the copy loop (checkpoints, write frontier, resume,
 * rate limit, progress, dry run, retries) runs over a file as over a live source. scan() walks the
 * next `count` keys from the cursor's offset and returns the offset after them; it keeps the walk
 * open between calls, and starts a new one (from a key record boundary) when asked for another
 * cursor, as a resumed or retried unit does. read() turns the keys of a page into RESTORE payloads
 * (type byte + the object's bytes as they lie in the file + the file's RDB version + CRC-64: no
 * decoding), with the time to live left of their absolute expiry; keys already expired are not
 * returned but counted (ReadResult.gone, so the unit's skippedGone).
 *
 * What it holds: the records of the last page scanned (read() and recordOf() look keys up there, so
 * a page is read before the next one is scanned, as the copy loop and the verifier do), then each
 * record travels in the MigrationRecord read() returns (RdbMigrationRecord, for the by-type writer)
 * and a big key's record waits in a map until the big-key copier takes it. Nothing else: a WeakMap
 * from every key to its record measured a quarter of the client's CPU in scavenges.
 */
export class RdbKeySource implements KeySource {
  /** The open walk's parse rounds (a read window's worth of records each). */
  private rounds: AsyncGenerator<RdbRecord[]> | undefined;
  /** The round being handed out, and the index of its next record. */
  private round: RdbRecord[] = [];
  private next = 0;
  /** The cursor the open walk stands at. */
  private walkAt = '';
  /** The records of the last page scanned, by identity of the key Buffer. */
  private page = new Map<Buffer, RdbKey>();
  /** Big keys read and not yet taken by the big-key copier (takeBig). */
  private readonly big = new Map<Buffer, RdbKey>();
  private readonly match: Buffer | undefined;
  private readonly now: () => number;
  private readonly clock: () => number;

  constructor(private readonly options: RdbKeySourceOptions) {
    this.match = options.match ? Buffer.from(options.match, 'utf8') : undefined;
    this.now = options.now ?? Date.now;
    this.clock = options.clock ?? (() => performance.now());
  }

  async scan(cursor: string): Promise<ScanPage> {
    if (!this.rounds || this.walkAt !== cursor) await this.open(cursor);
    const { count, pageBytes = PAGE_BYTES } = this.options;
    const keys: Buffer[] = [];
    const page = new Map<Buffer, RdbKey>();
    this.page = page;
    let skipped = 0;
    let bytes = 0;
    let end = -1;
    while (keys.length + skipped < count && bytes < pageBytes) {
      if (this.next === this.round.length) {
        const round = await this.rounds!.next();
        if (round.done) {
          this.rounds = undefined;
          return { cursor: '0', keys, skipped };
        }
        this.round = round.value;
        this.next = 0;
        continue;
      }
      const record = this.round[this.next++]!;
      end = record.end;
      if (record.kind !== 'key') continue; // functions are loaded before the units start
      if (!this.selected(record)) {
        skipped++;
        continue;
      }
      page.set(record.key, record);
      keys.push(record.key);
      bytes += record.object.length;
    }
    if (end >= 0) this.walkAt = String(end);
    return { cursor: this.walkAt, keys, skipped };
  }

  async read(keys: Buffer[]): Promise<ReadResult> {
    const now = this.now();
    const readAtMs = this.clock();
    const { bigKeyBytes, header } = this.options;
    const records: RdbMigrationRecord[] = [];
    const big: { key: Buffer; bytes: number }[] = [];
    const written: RdbKey[] = [];
    let gone = 0;
    let slabBytes = 0;
    for (const key of keys) {
      const record = this.recordOf(key);
      if (record.expireAtMs !== null && record.expireAtMs - now < 1) gone++;
      else if (bigKeyBytes > 0 && record.object.length > bigKeyBytes) {
        big.push({ key, bytes: record.object.length });
        this.big.set(key, record);
      } else {
        written.push(record);
        slabBytes += restorePayloadLength(record.object);
      }
    }
    // One allocation for the page's payloads: each is a view of it, freed together once written.
    const slab = Buffer.allocUnsafeSlow(slabBytes);
    let at = 0;
    for (const record of written) {
      const end = restorePayloadInto(slab, at, record.type, record.object, header.version);
      const pttlMs = record.expireAtMs === null ? 0 : record.expireAtMs - now;
      records.push({ key: record.key, payload: slab.subarray(at, end), pttlMs, readAtMs, rdb: record });
      at = end;
    }
    return big.length > 0 ? { records, gone, big } : { records, gone };
  }

  /** The file's record of a key of the last page scanned. */
  recordOf(key: Buffer): RdbKey {
    const record = this.page.get(key);
    if (!record) throw new InternalError(`key ${formatKey(key)} is not in the last page this RDB range's scan handed out`);
    return record;
  }

  /** The record of a big key read() reported, for the big-key copier, which decodes it; once. */
  takeBig(key: Buffer): RdbKey {
    const record = this.big.get(key);
    if (!record) throw new InternalError(`big key ${formatKey(key)} was not reported by this RDB range's read`);
    this.big.delete(key);
    return record;
  }

  /** Ends the open walk (its read stream); the source can be scanned again afterwards. */
  async close(): Promise<void> {
    const rounds = this.rounds;
    this.rounds = undefined;
    this.round = [];
    this.next = 0;
    this.page = new Map();
    this.big.clear();
    await rounds?.return(undefined);
  }

  private async open(cursor: string): Promise<void> {
    await this.close();
    const { source, header, range } = this.options;
    const offset = cursor === '0' ? range.from : Number(cursor);
    this.rounds = walkRdbBatches(source, { header, from: { offset, db: range.db }, to: range.to });
    this.walkAt = cursor;
  }

  private selected(record: RdbKey): boolean {
    if (record.db !== this.options.range.db)
      throw new InternalError(`RDB range from offset ${this.options.range.from} met a key of db ${record.db} at offset ${record.start}`);
    if (this.match && !globMatch(this.match, record.key)) return false;
    return this.options.type === undefined || valueTypeOfRdbType(record.type) === this.options.type;
  }
}
