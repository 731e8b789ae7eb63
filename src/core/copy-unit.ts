import type { ConflictPolicy } from './config.js';
import type { CheckpointStore, KeySink, KeySource, MigrationRecord, UnitCheckpoint, WriteMode } from './contracts.js';
import { CheckpointConflictError, TargetKeyExistsError } from './errors.js';
import type { KeyFilter } from './key-filter.js';
import { formatKey } from './key-format.js';
import type { RateLimiter } from './rate-limiter.js';
import { scanPosition } from './scan-position.js';

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
  /** Batches read ahead of the one being written, to overlap source reads with target writes. */
  readAhead?: number;
  /** Called with every saved checkpoint (progress display, logs). */
  onProgress?: (checkpoint: UnitCheckpoint) => void;
}

interface Batch {
  /** Cursor the SCAN was called with, and the one it returned. */
  from: string;
  to: string;
  scanned: number;
  filtered: number;
  gone: number;
  records: MigrationRecord[];
}

/**
 * Copies one unit from its checkpoint until SCAN returns cursor 0 or `shouldStop` says so.
 *
 * A reader task scans and DUMPs up to `readAhead` batches ahead; the writer RESTOREs them in SCAN
 * order and saves a checkpoint after each batch the target confirmed, so a crash re-copies at most
 * the batch that was being written. With the `fail` policy plain RESTORE would trip over those
 * re-copied keys (BUSYKEY), so before writing past the stored `writeFrontier` the writer first
 * saves a frontier that covers the batches it has in hand; a resumed unit writes every batch that
 * starts before that frontier with REPLACE. The frontier is a cursor compared by scan position
 * (see scan-position.ts), so it stays exact even if the keyspace is rehashed between runs.
 */
export async function copyUnit(options: CopyUnitOptions): Promise<UnitCheckpoint> {
  const { source, sink, filter, policy, store, limiter } = options;
  const shouldStop = options.shouldStop ?? (() => false);
  const readAhead = Math.max(1, options.readAhead ?? 2);
  if (options.checkpoint.status === 'done') return options.checkpoint;

  let checkpoint: UnitCheckpoint = { ...options.checkpoint, status: 'running', error: undefined };
  // Batches that start before this position may already be on the target from an earlier attempt.
  const resumeFrontier = checkpoint.writeFrontier === null ? null : scanPosition(checkpoint.writeFrontier, true);
  const needsFrontier = policy === 'fail' && sink !== undefined;

  const save = async (patch: Partial<UnitCheckpoint>) => {
    checkpoint = await store.saveUnit({ ...checkpoint, ...patch, updatedAt: new Date().toISOString() });
    options.onProgress?.(checkpoint);
  };
  await save({});

  const queue: Batch[] = [];
  let readerDone = false;
  let readerError: unknown;
  let wake: (() => void) | undefined;
  let stopReading = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const waitForChange = () => new Promise<void>((resolve) => (wake = resolve));

  const reader = (async () => {
    let cursor = checkpoint.cursor;
    try {
      do {
        while (queue.length >= readAhead && !stopReading) await waitForChange();
        if (stopReading) return;
        const page = await source.scan(cursor);
        if (limiter && page.keys.length > 0) await limiter.take(page.keys.length);
        const kept = filter.passesAll ? page.keys : page.keys.filter((k) => filter.allowsKey(k));
        const { records, gone } = kept.length > 0 ? await source.read(kept) : { records: [], gone: 0 };
        queue.push({ from: cursor, to: page.cursor, scanned: page.keys.length, filtered: page.keys.length - kept.length, gone, records });
        cursor = page.cursor;
        notify();
      } while (cursor !== '0');
    } catch (error) {
      readerError = error;
    } finally {
      readerDone = true;
      notify();
    }
  })();

  try {
    while (true) {
      if (shouldStop()) break;
      while (queue.length === 0 && !readerDone) await waitForChange();
      const batch = queue.shift();
      if (!batch) {
        if (readerError !== undefined) throw readerError;
        break;
      }
      notify();

      const rewrite = resumeFrontier !== null && scanPosition(batch.from) < resumeFrontier;
      if (needsFrontier && !rewrite && !frontierCovers(checkpoint.writeFrontier, batch.to)) {
        const furthest = queue.length > 0 ? queue[queue.length - 1]!.to : batch.to;
        await save({ writeFrontier: furthest });
      }

      const c = { ...checkpoint.counters };
      c.scanned += batch.scanned;
      c.filtered += batch.filtered;
      c.skippedGone += batch.gone;
      if (sink && batch.records.length > 0) {
        const mode: WriteMode = policy === 'replace' || (rewrite && policy === 'fail') ? 'replace' : 'keep';
        const result = await sink.write(batch.records, mode);
        if (result.existing.length > 0 && policy === 'fail') {
          const key = result.existing[0]!;
          throw new TargetKeyExistsError(
            key,
            `target already has key ${formatKey(key)}; stopped without overwriting it. Set rdb_restore_command_behavior = "rewrite" (or --on-existing replace) to overwrite, or "skip" to keep the target's value`,
          );
        }
        c.copied += result.written;
        if (rewrite) c.recopied += result.written;
        c.skippedExisting += result.existing.length;
        c.skippedGone += result.expired;
        c.bytes += result.bytes;
      } else if (!sink) {
        // Dry run: count what would be written.
        c.copied += batch.records.length;
        c.bytes += batch.records.reduce((n, r) => n + r.payload.length, 0);
      }
      c.batches += 1;
      const finished = batch.to === '0';
      await save({ cursor: batch.to, counters: c, status: finished ? 'done' : 'running', writeFrontier: finished ? null : checkpoint.writeFrontier });
      if (finished) break;
    }
  } catch (error) {
    if (!(error instanceof CheckpointConflictError)) {
      // Record why the unit stopped; the cursor stays at the last batch the target confirmed.
      await save({ status: 'failed', error: error instanceof Error ? error.message : String(error) }).catch(() => {});
    }
    throw error;
  } finally {
    stopReading = true;
    notify();
    await reader;
  }
  return checkpoint;
}

/** True when writes up to `to` are already covered by the stored frontier. */
function frontierCovers(frontier: string | null, to: string): boolean {
  if (frontier === null) return false;
  return scanPosition(to, true) <= scanPosition(frontier, true);
}
