import type { ConflictPolicy } from './config.js';
import {
  addCounters,
  type BigKeyCopier,
  type BulkWriteObserver,
  type CheckpointStore,
  type KeySink,
  type KeySource,
  type UnitCheckpoint,
  type UnitCounters,
  ZERO_COUNTERS,
} from './contracts.js';
import { type Batch, releaseWhenRead } from './copy/batch.js';
import { CheckpointWriter } from './copy/checkpoint-writer.js';
import { ScanAhead } from './copy/scan-ahead.js';
import { WriteFrontier } from './copy/write-frontier.js';
import { WritePipeline } from './copy/write-pipeline.js';
import type { KeyFilter } from './key-filter.js';
import type { RateLimiter } from './rate-limiter.js';
import type { CursorOrder } from './scan-position.js';

export interface CopyUnitOptions {
  source: KeySource;
  /** Absent in a dry run: everything is read and counted, nothing written. */
  sink?: KeySink;
  filter: KeyFilter;
  policy: ConflictPolicy;
  store: CheckpointStore;
  /** Where to start: the stored checkpoint (resume) or a new one. */
  checkpoint: UnitCheckpoint;
  limiter?: RateLimiter;
  /** Asked before each batch; true stops the unit after the batch in hand is confirmed. */
  shouldStop?: () => boolean;
  /**
   * Batches this call sends at most; then it stops as when `shouldStop` says so (absent or 0: no
   * cap). A slice of a known size, whatever the machine's speed (the workflow tests use it).
   */
  maxBatches?: number;
  /** Batches scanned and read ahead of the one being written (reads overlap writes and RTTs). */
  readAhead?: number;
  /**
   * Keys read ahead at most, whatever the batch size (SCAN COUNT grows over slow links): bounds the
   * memory a unit holds. At least one batch is always read ahead.
   */
  readAheadKeys?: number;
  /** Batches sent to the target before the oldest is confirmed. */
  writeAhead?: number;
  /** Called with every saved checkpoint (progress display, logs). */
  onProgress?: (checkpoint: UnitCheckpoint) => void;
  /** Copies the keys the source reported as too big to DUMP whole (by type, in chunks). */
  copyBigKey?: BigKeyCopier;
  /** Told when each batch's read is issued and when its writes are confirmed (live follow mode). */
  observer?: BulkWriteObserver;
  /** How the source's cursors are ordered; SCAN positions by default (an RDB source's are byte offsets). */
  cursorOrder?: CursorOrder;
}

/** The stages of one copy, wired together. */
interface Stages {
  reader: ScanAhead;
  writer: WritePipeline;
  checkpoints: CheckpointWriter;
  frontier: WriteFrontier;
  counters: UnitCounters;
  shouldStop: () => boolean;
  /** Batches to send at most (Infinity: no cap). */
  maxBatches: number;
}

/**
 * Copies one unit from its checkpoint until SCAN returns cursor 0 or `shouldStop` says so.
 *
 * A reader (ScanAhead) scans ahead, firing each batch's DUMP + PTTL without waiting for it, up to
 * `readAhead` batches (and `readAheadKeys` keys); the writer (WritePipeline) sends up to `writeAhead`
 * batches of RESTOREs before the oldest is confirmed, and confirms them in SCAN order. After each
 * batch the target confirmed, a checkpoint {cursor, counters} is queued for saving (CheckpointWriter);
 * saves run in order off the critical path, while the next batch is written, and never claim a batch
 * the target has not confirmed. A batch read in parts (ReadResult.rest) is written part by part, and
 * every read's bytes go back to the budget once written, or once the unit stops without writing it.
 * An `observer` (BulkWriteObserver, for live follow mode) learns when each batch's read was issued
 * and when the target confirmed its writes.
 *
 * A crash therefore loses at most the batches written since the last completed save. With the
 * `fail` policy, plain RESTORE would trip over those re-copied keys (BUSYKEY), so no batch is
 * written beyond the stored `writeFrontier`: every save pushes the frontier to the furthest batch
 * read so far, and a resumed unit writes every batch that starts before it with REPLACE (WriteFrontier).
 */
export async function copyUnit(options: CopyUnitOptions): Promise<UnitCheckpoint> {
  const { source, sink, filter, policy, limiter, observer } = options;
  if (options.checkpoint.status === 'done') return options.checkpoint;
  const checkpoints = new CheckpointWriter(
    options.store,
    { ...options.checkpoint, status: 'running', error: undefined },
    options.onProgress,
  );
  await checkpoints.save({});
  await checkpoints.settled();
  const stages: Stages = {
    reader: new ScanAhead({
      source,
      filter,
      limiter,
      observer,
      cursor: checkpoints.current.cursor,
      batches: Math.max(1, options.readAhead ?? 4),
      keys: Math.max(1, options.readAheadKeys ?? 4000),
    }),
    writer: new WritePipeline({ sink, policy, copyBigKey: options.copyBigKey, observer, depth: Math.max(1, options.writeAhead ?? 2) }),
    checkpoints,
    // Batches that start before the inherited frontier may already be on the target from an earlier attempt.
    frontier: new WriteFrontier(policy === 'fail' && sink !== undefined, options.checkpoint.writeFrontier, options.cursorOrder),
    counters: { ...ZERO_COUNTERS, ...options.checkpoint.counters },
    shouldStop: options.shouldStop ?? (() => false),
    maxBatches: options.maxBatches !== undefined && options.maxBatches > 0 ? options.maxBatches : Number.POSITIVE_INFINITY,
  };
  try {
    const { finished, position } = await copyBatches(stages);
    if (!finished && stages.frontier.kept) void checkpoints.save({ writeFrontier: stages.frontier.atStop(position) });
    await checkpoints.settled();
  } catch (error) {
    await checkpoints.recordFailure(error);
    throw error;
  } finally {
    await stages.reader.stop();
  }
  return checkpoints.current;
}

/**
 * The loop: sends batches until `writeAhead` are in flight (or, once a stop was asked or `maxBatches`
 * were sent, only drains), then confirms the oldest, counts it and queues its checkpoint. Returns
 * where it stopped.
 */
async function copyBatches(stages: Stages): Promise<{ finished: boolean; position: string }> {
  const { reader, writer, checkpoints, frontier, counters, shouldStop } = stages;
  let position = checkpoints.current.cursor;
  let exhausted = false;
  let sent = 0;
  while (true) {
    while (!exhausted && !writer.full && sent < stages.maxBatches && !shouldStop()) {
      if (writer.size > 0 && !reader.hasQueued) break; // do not wait for reads while writes can complete
      const batch = await reader.next();
      if (batch) {
        await send(stages, batch);
        sent += 1;
      } else exhausted = true;
    }
    const head = await writer.confirm();
    if (!head) return { finished: false, position };
    addCounters(counters, head.delta);
    checkpoints.throwIfFailed();
    const finished = head.batch.to === '0';
    position = head.batch.to;
    const writeFrontier = frontier.afterConfirmed(checkpoints.current.writeFrontier, reader.furthest(position), finished);
    void checkpoints.save({ cursor: position, counters: { ...counters }, status: finished ? 'done' : 'running', writeFrontier });
    if (finished) return { finished, position };
  }
}

/** Hands a batch to the writer once its read arrived and, under `fail`, once the stored frontier covers it. */
async function send({ reader, writer, checkpoints, frontier }: Stages, batch: Batch): Promise<void> {
  const rewrite = frontier.rewrites(batch.from);
  try {
    const read = await batch.read;
    if (frontier.mustCover(checkpoints.current.writeFrontier, batch.to, read, rewrite)) {
      await checkpoints.settled(); // a save in flight may already extend the frontier
      if (!frontier.covers(checkpoints.current.writeFrontier, batch.to))
        void checkpoints.save({ writeFrontier: reader.furthest(batch.to) });
      await checkpoints.settled();
    }
  } catch (error) {
    void releaseWhenRead(batch.read);
    throw error;
  }
  writer.send(batch, rewrite);
}
