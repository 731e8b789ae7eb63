import type { BulkWriteObserver, KeySource, ReadResult } from '../contracts.js';
import type { KeyFilter } from '../key-filter.js';
import { readPaced } from '../paced-read.js';
import type { RateLimiter } from '../rate-limiter.js';
import { type Batch, releaseWhenRead } from './batch.js';

export interface ScanAheadOptions {
  source: KeySource;
  filter: KeyFilter;
  limiter?: RateLimiter;
  observer?: BulkWriteObserver;
  /** The cursor to scan from. */
  cursor: string;
  /** Batches queued at most. */
  batches: number;
  /** Keys (as scanned) queued at most; at least one batch is always queued. */
  keys: number;
}

const EMPTY_READ: Promise<ReadResult> = Promise.resolve({ records: [], gone: 0 });

/** Wakes the one task waiting on it, if any. */
class Wakeup {
  private resolve: (() => void) | undefined;

  wait(): Promise<void> {
    return new Promise((resolve) => (this.resolve = resolve));
  }

  fire(): void {
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}

/**
 * The reader stage of the copy loop: scans from a cursor and fires each batch's DUMP + PTTL without
 * waiting for it, so reads overlap the writes and the SCAN round trips. It runs ahead of the writer
 * by at most `batches` batches and `keys` keys (SCAN COUNT grows over slow links, so batches alone
 * would not bound the memory a unit holds), and stops at cursor 0, at the first error, or at stop().
 */
export class ScanAhead {
  private readonly queue: Batch[] = [];
  private queuedKeys = 0;
  private done = false;
  private failure: unknown;
  private stopping = false;
  /** The reader waits for room, the writer for a batch. */
  private readonly roomFreed = new Wakeup();
  private readonly batchQueued = new Wakeup();
  private readonly running: Promise<void>;

  constructor(private readonly options: ScanAheadOptions) {
    this.running = this.run();
  }

  /** True when a batch is queued: next() returns at once. */
  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  /** The end cursor of the furthest batch queued, or `fallback` when none is: how far writes may soon go. */
  furthest(fallback: string): string {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1]!.to : fallback;
  }

  /**
   * The next batch in SCAN order, once its SCAN returned (its read may still be in flight); undefined
   * when the walk is over. A reader error is thrown once the batches queued before it are taken.
   */
  async next(): Promise<Batch | undefined> {
    while (this.queue.length === 0 && !this.done) await this.batchQueued.wait();
    const batch = this.queue.shift();
    if (batch) this.queuedKeys -= batch.scanned;
    this.roomFreed.fire();
    if (!batch && this.failure !== undefined) throw this.failure;
    return batch;
  }

  /** Stops scanning, waits for the reader, and gives the bytes of batches read but never taken back to the budget. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.roomFreed.fire();
    await this.running;
    for (const batch of this.queue.splice(0)) void releaseWhenRead(batch.read);
    this.queuedKeys = 0;
  }

  private full(): boolean {
    return this.queue.length > 0 && (this.queue.length >= this.options.batches || this.queuedKeys >= this.options.keys);
  }

  private async run(): Promise<void> {
    const { source, filter, limiter, observer } = this.options;
    let cursor = this.options.cursor;
    try {
      do {
        while (this.full() && !this.stopping) await this.roomFreed.wait();
        if (this.stopping) return;
        const page = await source.scan(cursor);
        const keys = filter.passesAll ? page.keys : page.keys.filter((k) => filter.allowsKey(k));
        // Before the first read of the batch is issued (a paced page is read in slices).
        const mark = observer ? observer.readIssued() : 0;
        const read = limiter
          ? (await readPaced(limiter, page.keys, keys, (part) => source.read(part))).read
          : keys.length > 0
            ? source.read(keys)
            : EMPTY_READ;
        read.catch(() => {}); // observed by the writer; avoid an unhandled rejection meanwhile
        const skipped = page.skipped ?? 0;
        this.queue.push({
          from: cursor,
          to: page.cursor,
          scanned: page.keys.length + skipped,
          filtered: page.keys.length - keys.length + skipped,
          keys,
          mark,
          read,
        });
        this.queuedKeys += page.keys.length;
        cursor = page.cursor;
        this.batchQueued.fire();
      } while (cursor !== '0');
    } catch (error) {
      this.failure = error;
    } finally {
      this.done = true;
      this.batchQueued.fire();
    }
  }
}
