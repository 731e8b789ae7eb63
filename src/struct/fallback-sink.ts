import type { KeySink, MigrationRecord, WriteMode, WriteResult } from '../core/contracts.js';
import { RestoreRejectedError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import type { NotCarriedCounts, RedisClient, StructCopyOptions, StructCopyResult } from './contracts.js';
import { copyKeysByType } from './copy-keys.js';
import { dumpRdbVersion, isStringDump, isVersionRefusal } from './dump-version.js';
import { tooBigError } from './errors.js';
import { MIN_BULK_LIMIT, targetBulkLimit } from './target-bulk-limit.js';

export type StructMode = 'auto' | 'struct';

/**
 * Writes records by type, in chunks: by default from the source Redis (copyKeysByType reads each
 * key there again); an RDB restore decodes each record's object from the file instead.
 */
export type ByTypeWriter = (
  records: MigrationRecord[],
  options: StructCopyOptions & { concurrency?: number },
) => Promise<StructCopyResult[]>;

export interface StructFallbackOptions extends Omit<StructCopyOptions, 'replace' | 'ttlMs'> {
  /** 'auto': RESTORE until the target refuses a payload's version, then by type. 'struct': by type from the start. @default 'auto' */
  mode?: StructMode;
  /** Keys copied by type at once. @default 16 */
  concurrency?: number;
  /** Called once, when the sink switches to copying by type. */
  onSwitch?: (reason: string) => void;
  /** Up to this many unsupported keys are kept as examples. @default 5 */
  maxExamples?: number;
  /**
   * A key the target cannot hold, a string longer than its proto-max-bulk-len: 'stop' throws
   * PayloadTooLargeError naming it, 'skip' leaves it out and reports it in WriteResult.tooBig.
   * @default 'stop'
   */
  onTooBig?: 'stop' | 'skip';
  /** Told of each key left out as too big (policy 'skip'), with the string's length. */
  onSkipTooBig?: (key: Buffer, bytes: number) => void;
}

export interface StructFallbackStats {
  /** 'restore' while RESTORE is used, 'struct' after the switch (or from the start). */
  mode: 'restore' | 'struct';
  /** Refusals for the payload version that made the sink switch: 0 or 1 per sink (per unit). */
  refusedRestores: number;
  /** Keys written by type. */
  structKeys: number;
  /** Keys whose source value changed while they were read in several chunks. */
  changedDuringCopy: number;
  notCarried: NotCarriedCounts;
  /** Keys not written because struct mode cannot copy their type (module types). */
  unsupportedExamples: string[];
}

/**
 * A KeySink that writes with RESTORE through `inner` and falls back to copying by type (struct
 * mode) for the rest of the unit when the target refuses a payload's RDB version, e.g. a source on
 * Redis 7.2 (RDB 11) and a target on 7.0 (RDB 10). Until one RESTORE has succeeded, each batch's
 * first record is restored alone, so a refusing target sees exactly one refused RESTORE; the batch
 * is then written by type, as is every later one. (When that first record cannot tell, e.g. it
 * draws BUSYKEY, which Redis answers before reading the payload, the rest of its batch is sent
 * as usual and may draw several refusals before the switch.) Records keep their keys only: the copier reads
 * type, value and PTTL from the source again (struct mode needs no DUMP payload at all).
 *
 * In struct mode a key of a type without read commands (module types) is not written: it is counted
 * in stats().notCarried['module-type'], and the WriteResult does not count it as written.
 */
export class StructFallbackSink implements KeySink {
  private current: 'restore' | 'struct';
  private restoreConfirmed = false;
  private probing: Promise<void> | undefined;
  private readonly statsValue: StructFallbackStats;

  constructor(
    private readonly inner: KeySink,
    /** Where values written by type come from: the source Redis, or a writer of its own (ByTypeWriter). */
    private readonly source: RedisClient | ByTypeWriter,
    private readonly target: RedisClient,
    private readonly options: StructFallbackOptions = {},
  ) {
    this.current = options.mode === 'struct' ? 'struct' : 'restore';
    this.statsValue = {
      mode: this.current,
      refusedRestores: 0,
      structKeys: 0,
      changedDuringCopy: 0,
      notCarried: {},
      unsupportedExamples: [],
    };
  }

  get mode(): 'restore' | 'struct' {
    return this.current;
  }

  stats(): StructFallbackStats {
    return {
      ...this.statsValue,
      notCarried: { ...this.statsValue.notCarried },
      unsupportedExamples: [...this.statsValue.unsupportedExamples],
    };
  }

  countKeys(): Promise<number> {
    return this.inner.countKeys();
  }

  async write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    // A payload longer than the target's proto-max-bulk-len cannot travel in a RESTORE (the server
    // drops the connection, so not even its error reply is seen): such keys go by type, in chunks,
    // which writes any value the target can hold at all and meets a string too long for it as a
    // plain error reply (status 'too-big'). With the limit unknown (CONFIG refused), a string over
    // the smallest limit Redis allows goes that way too: only strings can be too long to exist.
    const limit = await targetBulkLimit(this.target);
    // The copy loop keeps several batches in flight: while one batch's probe RESTORE is out, the
    // others wait for its verdict, so a refusing target still sees a single refused RESTORE. (No
    // await may come between this wait and restore(), which starts the probe.)
    while (this.probing) await this.probing;
    if (this.current === 'struct') return this.writeByType(records, mode);
    const tooLong = (r: MigrationRecord) =>
      limit !== undefined ? r.payload.length > limit : r.payload.length > MIN_BULK_LIMIT && isStringDump(r.payload);
    const oversized = records.filter(tooLong);
    if (oversized.length === 0) return this.restore(records, mode);
    const fits = records.filter((r) => !tooLong(r));
    return addWrites(await this.restore(fits, mode), await this.writeByType(oversized, mode));
  }

  /**
   * Applies the too-big policy to a key the target cannot hold (also for the copy loop's big keys):
   * throws PayloadTooLargeError under 'stop'; under 'skip', tells onSkipTooBig.
   */
  async handleTooBig(key: Buffer, length: number): Promise<void> {
    if ((this.options.onTooBig ?? 'stop') === 'stop') throw tooBigError(key, length, await targetBulkLimit(this.target));
    this.options.onSkipTooBig?.(key, length);
  }

  /** RESTORE, probing the payload version with the first record until one RESTORE succeeded. */
  private async restore(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    if (this.current === 'struct') return this.writeByType(records, mode);
    if (this.restoreConfirmed || records.length === 0) return this.inner.write(records, mode);
    // Not yet known whether the target reads these payloads: the first record goes alone.
    const [first, ...rest] = records as [MigrationRecord, ...MigrationRecord[]];
    const probe = this.restoreOrSwitch([first], mode);
    this.probing = probe
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.probing = undefined;
      });
    const head = await probe;
    if (head === 'switched') return this.writeByType(records, mode);
    // Only a written record proves the format is readable: BUSYKEY is answered before the payload is read.
    if (head.written > 0) this.restoreConfirmed = true;
    if (rest.length === 0) return head;
    const tail = await this.restoreOrSwitch(rest, mode);
    return addWrites(head, tail === 'switched' ? await this.writeByType(rest, mode) : tail);
  }

  /** RESTORE through the inner sink; on a version refusal, switch to struct mode for good. */
  private async restoreOrSwitch(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult | 'switched'> {
    try {
      return await this.inner.write(records, mode);
    } catch (error) {
      const record = error instanceof RestoreRejectedError ? (records.find((r) => r.key.equals(error.key)) ?? records[0]) : undefined;
      if (!record || !isVersionRefusal((error as Error).message, record.payload)) throw error;
      this.statsValue.refusedRestores++;
      this.current = 'struct';
      this.statsValue.mode = 'struct';
      this.options.onSwitch?.(
        `target refused RESTORE of key ${formatKey(record.key)} for its payload version ` +
          `(${dumpRdbVersion(record.payload)}); copying by type for the rest of the unit`,
      );
      return 'switched';
    }
  }

  private async writeByType(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    const {
      mode: _mode,
      concurrency,
      onSwitch: _onSwitch,
      maxExamples = 5,
      onTooBig: _onTooBig,
      onSkipTooBig: _onSkip,
      ...copy
    } = this.options;
    const options = { ...copy, concurrency, replace: mode === 'replace' };
    const source = this.source;
    const results =
      typeof source === 'function'
        ? await source(records, options)
        : await copyKeysByType(
            source,
            this.target,
            records.map((r) => r.key),
            options,
          );
    const out: WriteResult = { written: 0, bytes: 0, existing: [], expired: 0 };
    const s = this.statsValue;
    for (const r of results) {
      for (const [kind, n] of Object.entries(r.notCarried) as [keyof NotCarriedCounts, number][])
        s.notCarried[kind] = (s.notCarried[kind] ?? 0) + n;
      if (r.changedDuringCopy) s.changedDuringCopy++;
      switch (r.status) {
        case 'copied':
          out.written++;
          out.bytes += r.bytes;
          s.structKeys++;
          break;
        case 'existing':
          out.existing.push(r.key);
          break;
        case 'gone':
        case 'expired':
          out.expired++;
          break;
        case 'unsupported':
          if (s.unsupportedExamples.length < maxExamples) s.unsupportedExamples.push(`${formatKey(r.key)} (${r.type})`);
          break;
        case 'too-big':
          await this.handleTooBig(r.key, r.bytes);
          out.tooBig = [...(out.tooBig ?? []), r.key];
          break;
      }
    }
    return out;
  }
}

/** Two writes' results as one. */
function addWrites(a: WriteResult, b: WriteResult): WriteResult {
  const tooBig = [...(a.tooBig ?? []), ...(b.tooBig ?? [])];
  return {
    written: a.written + b.written,
    bytes: a.bytes + b.bytes,
    existing: [...a.existing, ...b.existing],
    expired: a.expired + b.expired,
    ...(tooBig.length > 0 ? { tooBig } : {}),
  };
}
