import type { CheckpointStore, UnitCheckpoint } from '../contracts.js';
import { CheckpointConflictError } from '../errors.js';

interface QueuedSave {
  patch: Partial<UnitCheckpoint>;
  done: Promise<void>;
}

/**
 * The checkpoint stage of the copy loop: saves run one after another, in the order they were
 * queued, off the caller's path (the next batch is written meanwhile). `current` is always the
 * last checkpoint stored. After a save fails, the ones queued behind it are skipped, so nothing
 * is stored out of order; the error is thrown by settled() or throwIfFailed().
 */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;
  private stored: UnitCheckpoint;
  /** The save waiting for the one in flight, which later saves merge into. */
  private queued: QueuedSave | undefined;
  /** Saves asked for and not yet run to the end. */
  private unfinished = 0;

  constructor(
    private readonly store: CheckpointStore,
    /** Where saves start from: each applies its patch to the last checkpoint stored. */
    start: UnitCheckpoint,
    private readonly onSaved?: (checkpoint: UnitCheckpoint) => void,
  ) {
    this.stored = start;
  }

  get current(): UnitCheckpoint {
    return this.stored;
  }

  /**
   * Queues a save of `current` with `patch` applied (its counters unless the patch has some);
   * resolves once it ran. Saves queued while one is in flight are merged into one (later fields
   * win), so a slow store (fsync, a DynamoDB round trip) costs one write per round trip, not one
   * per batch, and the stored checkpoint is the same as if each had been written in turn.
   */
  save(patch: Partial<UnitCheckpoint>): Promise<void> {
    if (this.queued) {
      this.queued.patch = { ...this.queued.patch, ...patch };
      return this.queued.done;
    }
    const entry: QueuedSave = { patch, done: Promise.resolve() };
    if (this.unfinished > 0) this.queued = entry; // behind a save in flight: later ones merge into it
    this.unfinished++;
    entry.done = this.chain = this.chain.then(async () => {
      if (this.queued === entry) this.queued = undefined; // saves asked for from now on go after this one
      if (this.failure !== undefined) return this.finished();
      try {
        this.stored = await this.store.saveUnit({
          ...this.stored,
          ...entry.patch,
          counters: entry.patch.counters ?? this.stored.counters,
          updatedAt: new Date().toISOString(),
        });
        this.onSaved?.(this.stored);
      } catch (error) {
        this.failure = error;
      }
      this.finished();
    });
    return entry.done;
  }

  private finished(): void {
    this.unfinished--;
  }

  /** Waits for every save queued; throws the first one that failed. */
  async settled(): Promise<void> {
    await this.chain;
    this.throwIfFailed();
  }

  /** Throws the error of a save that has failed so far, without waiting for those queued. */
  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * After the unit failed with `error`: once the queued saves ran, records why in its checkpoint
   * (the cursor stays at the last batch the target confirmed). Not when a checkpoint conflict says
   * another worker owns the unit now: its checkpoint is not ours to write.
   */
  async recordFailure(error: unknown): Promise<void> {
    await this.chain;
    if (error instanceof CheckpointConflictError || this.failure instanceof CheckpointConflictError) return;
    this.failure = undefined;
    await this.save({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
  }
}
