import type { KeySink, MigrationRecord, WriteMode, WriteResult } from '../core/contracts.js';
import { remainingTtl } from '../redis/key-sink.js';
import { dumpBody, mayDumpDifferently } from '../struct/dump-version.js';
import type { KeyStateReader } from './key-state-reader.js';

/** Why a source key was (or was not) written by a reconcile pass. */
export type DiffOutcome = 'missing' | 'different' | 'unchanged';

export interface DiffingSinkOptions {
  /** Reads TYPE, PTTL and DUMP of a batch on the target (a node's pipe, or per cluster master). */
  target: KeyStateReader;
  /** Largest difference between the source's remaining TTL and the target's that counts as equal. */
  ttlToleranceMs: number;
  /**
   * Type-aware comparison, asked only when DUMP bytes differ for a hash-table–encoded hash or set
   * (see mayDumpDifferently). Absent: such keys are rewritten.
   */
  sameValue?: (key: Buffer, type: string) => Promise<boolean>;
  /** Each written or unchanged record's outcome, once the target confirmed the batch. */
  onOutcome?: (key: Buffer, outcome: DiffOutcome) => void;
  /** Type-aware comparisons in flight at once. @default 8 */
  concurrency?: number;
  clock?: () => number;
}

/**
 * A KeySink that writes only what differs: for each batch it reads the target's TYPE, PTTL and
 * DUMP of the same keys (pipelined) and writes, with REPLACE, the records the target lacks or holds
 * with another value (DUMP bodies compared byte for byte, the RDB version trailer left out), type,
 * or a TTL further than the tolerance from the source's. Unchanged records are not written; they
 * come back as `existing`, which the copy loop counts as `skippedExisting` under the `replace`
 * policy. Records that would expire in flight are dropped as the plain sink drops them.
 *
 * A hash or set in a hash-table encoding serializes in a per-server order, so its bytes differ on
 * every pass even when nothing changed; those keys (only those) are compared by type before being
 * rewritten, or every scheduled re-sync would rewrite every large hash and set. Any other byte
 * difference is rewritten at once: the payload is in hand, and one pipelined RESTORE costs less
 * than reading the value again on both sides.
 */
export class DiffingSink implements KeySink {
  private readonly clock: () => number;

  constructor(
    private readonly inner: KeySink,
    private readonly options: DiffingSinkOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now());
  }

  countKeys(): Promise<number> {
    return this.inner.countKeys();
  }

  async write(records: MigrationRecord[], _mode: WriteMode): Promise<WriteResult> {
    const now = this.clock();
    const live = records.filter((r) => remainingTtl(r, now) !== null);
    const expired = records.length - live.length;
    if (live.length === 0) return { written: 0, bytes: 0, existing: [], expired };
    const outcomes = await this.decide(live);
    const toWrite = live.filter((_, i) => outcomes[i] !== 'unchanged');
    const existing = live.filter((_, i) => outcomes[i] === 'unchanged').map((r) => r.key);
    const result: WriteResult =
      toWrite.length > 0 ? await this.inner.write(toWrite, 'replace') : { written: 0, bytes: 0, existing: [], expired: 0 };
    this.report(live, outcomes, toWrite, result);
    return {
      written: result.written,
      bytes: result.bytes,
      existing: [...existing, ...result.existing],
      expired: expired + result.expired,
      ...(result.tooBig ? { tooBig: result.tooBig } : {}),
    };
  }

  /** Compares each record with the target's state of its key. */
  private async decide(records: MigrationRecord[]): Promise<DiffOutcome[]> {
    const keys = records.map((r) => r.key);
    const [states, dumps] = await Promise.all([this.options.target.typesAndTtls(keys), this.options.target.dumps(keys)]);
    const readAt = this.clock();
    const byType: number[] = [];
    const outcomes = records.map((record, i): DiffOutcome => {
      const [type, ttl] = states[i]!;
      const dump = dumps[i];
      if (!dump || type === 'none' || ttl === -2) return 'missing';
      if (!this.sameTtl(record, ttl, readAt)) return 'different';
      if (sameBody(record.payload, dump)) return 'unchanged';
      if (this.options.sameValue && mayDumpDifferently(record.payload, dump)) byType.push(i);
      return 'different';
    });
    let next = 0;
    const worker = async () => {
      while (next < byType.length) {
        const i = byType[next++]!;
        if (await this.options.sameValue!(records[i]!.key, states[i]![0])) outcomes[i] = 'unchanged';
      }
    };
    await Promise.all(Array.from({ length: Math.min(byType.length, this.options.concurrency ?? 8) }, worker));
    return outcomes;
  }

  /** The source's TTL (as read, less the time since) and the target's agree within the tolerance. */
  private sameTtl(record: MigrationRecord, targetTtl: number, readAt: number): boolean {
    if (record.pttlMs === 0 || targetTtl === -1) return record.pttlMs === 0 && targetTtl === -1;
    return Math.abs(record.pttlMs - (readAt - record.readAtMs) - targetTtl) <= this.options.ttlToleranceMs;
  }

  /**
   * Outcomes of the confirmed batch, without the records the inner sink did not write: those whose
   * TTL ran out in flight (all share one clock, so the ones with the least time left) and those too
   * big for the target (skipped and counted as such, see WriteResult.tooBig).
   */
  private report(live: MigrationRecord[], outcomes: DiffOutcome[], written: MigrationRecord[], result: WriteResult): void {
    const onOutcome = this.options.onOutcome;
    if (!onOutcome) return;
    const tooBig = new Set(result.tooBig ?? []);
    const dropped = new Set(
      written
        .filter((r) => r.pttlMs > 0)
        .sort((a, b) => a.pttlMs + a.readAtMs - (b.pttlMs + b.readAtMs))
        .slice(0, result.expired),
    );
    live.forEach((record, i) => {
      if (!dropped.has(record) && !tooBig.has(record.key)) onOutcome(record.key, outcomes[i]!);
    });
  }
}

function sameBody(source: Buffer, target: Buffer): boolean {
  if (source.length < 11 || target.length < 11) return source.equals(target);
  return dumpBody(source).equals(dumpBody(target));
}
