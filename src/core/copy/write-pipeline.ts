import type { ConflictPolicy } from '../config.js';
import {
  type BigKeyCopier,
  type BulkWriteObserver,
  type KeySink,
  type ReadResult,
  type UnitCounters,
  ZERO_COUNTERS,
} from '../contracts.js';
import { type Batch, releaseWhenRead } from './batch.js';
import { copyBigKeys } from './big-keys.js';
import { countDryRun, countWrite } from './write-counts.js';

export interface WritePipelineOptions {
  /** Absent in a dry run: every part is counted as if written. */
  sink?: KeySink;
  policy: ConflictPolicy;
  copyBigKey?: BigKeyCopier;
  observer?: BulkWriteObserver;
  /** Batches sent to the target before the oldest is confirmed. */
  depth: number;
}

/** A batch sent and confirmed, with what it adds to the unit's counters. */
export interface Confirmed {
  batch: Batch;
  delta: UnitCounters;
}

/**
 * The writer stage of the copy loop: several batches in flight hide the target's round trip, and
 * each is confirmed in the order it was sent (SCAN order), so a checkpoint never claims a batch
 * the target has not confirmed.
 */
export class WritePipeline {
  private readonly inFlight: { batch: Batch; outcome: Promise<UnitCounters> }[] = [];

  constructor(private readonly options: WritePipelineOptions) {}

  /** Batches sent and not yet confirmed. */
  get size(): number {
    return this.inFlight.length;
  }

  get full(): boolean {
    return this.inFlight.length >= this.options.depth;
  }

  /**
   * Starts writing `batch`; confirm() returns its outcome. `rewrite`: an earlier attempt may have
   * written it already, so under the `fail` policy it is written with REPLACE and counted as recopied.
   */
  send(batch: Batch, rewrite: boolean): void {
    const outcome = this.writeBatch(batch, rewrite);
    outcome.catch(() => {}); // observed when it reaches the head
    this.inFlight.push({ batch, outcome });
  }

  /** Waits for the oldest batch sent; undefined when none is in flight. Throws what failed its write. */
  async confirm(): Promise<Confirmed | undefined> {
    const head = this.inFlight.shift();
    if (!head) return undefined;
    return { batch: head.batch, delta: await head.outcome };
  }

  /**
   * Writes one batch (RESTOREs, then its big keys) and returns what it adds to the counters. A
   * batch read in parts (see ReadResult.rest) is written part by part, the next part read while
   * the current one is written; each part's bytes go back to the budget once it is written.
   */
  private async writeBatch(batch: Batch, rewrite: boolean): Promise<UnitCounters> {
    const { policy, observer } = this.options;
    const d: UnitCounters = { ...ZERO_COUNTERS, scanned: batch.scanned, filtered: batch.filtered, batches: 1 };
    const replace = policy === 'replace' || (rewrite && policy === 'fail');
    let part: ReadResult | undefined = await batch.read;
    while (part) {
      const next: Promise<ReadResult> | undefined = part.rest?.();
      try {
        await this.writePart(part, replace, d);
      } catch (error) {
        void releaseWhenRead(next);
        throw error;
      } finally {
        part.release?.();
      }
      part = next ? await next : undefined;
    }
    if (rewrite) d.recopied = d.copied;
    observer?.writeConfirmed(batch.keys, batch.mark);
    return d;
  }

  private async writePart(part: ReadResult, replace: boolean, d: UnitCounters): Promise<void> {
    const { sink, policy } = this.options;
    d.skippedGone += part.gone;
    if (!sink) return countDryRun(part, d);
    if (part.records.length > 0) countWrite(await sink.write(part.records, replace ? 'replace' : 'keep'), policy, d);
    if (part.big && part.big.length > 0) await copyBigKeys(part.big, this.options.copyBigKey, replace, policy, d);
  }
}
