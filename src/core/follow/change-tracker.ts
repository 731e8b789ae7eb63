/**
 * What a live follower knows about one unit's keys: which changed and still need copying, and
 * which changed after a bulk batch (copy or reconcile) read them.
 *
 * The invariant it holds, with the bulk passes' BulkWriteObserver calls (docs/follow.md):
 *
 *   No bulk write of a key can land after the follower's newest copy of that key.
 *
 * A bulk batch takes a mark just before its DUMPs are issued. Once the target confirmed the batch,
 * every key of it that received an event after that mark is queued again, so the follower copies
 * it once more, after the batch landed. An event received before the mark means the write happened
 * before the DUMP ran, so the batch holds that write or a newer one. Events arrive on their own
 * connection, after the write ran on the source; that is why the mark can be taken on this side.
 */
export interface PendingChange {
  key: Buffer;
  /** When the oldest event not yet applied for this key arrived (ms, monotonic clock). */
  sinceMs: number;
}

export class ChangeTracker {
  private seq = 0;
  /** Keys waiting to be copied, oldest first (a Map keeps insertion order). */
  private readonly pending = new Map<string, PendingChange>();
  /** Sequence number of each key's last event, oldest first; kept only while bulk marks are open. */
  private readonly lastEvent = new Map<string, number>();
  /** Marks of bulk batches whose reads were issued and whose writes are not confirmed yet. */
  private readonly openMarks = new Map<number, number>();
  private waiter: (() => void) | undefined;
  /** Events recorded, over the tracker's life. */
  events = 0;
  /** Keys queued again because a bulk batch that read them before their last event landed afterwards. */
  requeued = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** A keyspace event for `key`: it must be copied again from the source's current state. */
  record(key: Buffer): void {
    const id = key.toString('latin1');
    this.seq++;
    this.events++;
    if (this.openMarks.size > 0) {
      this.lastEvent.delete(id); // re-inserted last: the map stays ordered by sequence number
      this.lastEvent.set(id, this.seq);
    }
    this.enqueue(id, key, this.clock());
  }

  /** Called just before a bulk batch's reads are issued. */
  readIssued(): number {
    const mark = this.seq;
    this.openMarks.set(mark, (this.openMarks.get(mark) ?? 0) + 1);
    return mark;
  }

  /** Called once the target confirmed a bulk batch: keys changed since its mark are copied again. */
  writeConfirmed(keys: readonly Buffer[], mark: number): void {
    if (this.seq > mark) {
      const now = this.clock();
      for (const key of keys) {
        const id = key.toString('latin1');
        if ((this.lastEvent.get(id) ?? 0) > mark) {
          this.requeued++;
          this.enqueue(id, key, now);
        }
      }
    }
    this.closeMark(mark);
  }

  /**
   * A bulk pass ended (done, stopped or failed). Returns true when some of its batches were read
   * and never confirmed: they may still have landed, so the unit has a gap to reconcile.
   */
  bulkPassEnded(): boolean {
    const unconfirmed = this.openMarks.size > 0;
    this.openMarks.clear();
    this.lastEvent.clear();
    return unconfirmed;
  }

  /** Takes up to `max` pending keys, oldest first. A key recorded again later is pending again. */
  take(max: number): PendingChange[] {
    const taken: PendingChange[] = [];
    for (const [id, change] of this.pending) {
      if (taken.length >= max) break;
      this.pending.delete(id);
      taken.push(change);
    }
    return taken;
  }

  /** Puts back changes that could not be applied, first in line, with their oldest event time. */
  putBack(changes: readonly PendingChange[]): void {
    const later = [...this.pending];
    this.pending.clear();
    for (const change of changes) this.pending.set(change.key.toString('latin1'), change);
    for (const [id, change] of later) {
      const back = this.pending.get(id);
      if (!back) this.pending.set(id, change);
      else if (change.sinceMs < back.sinceMs) back.sinceMs = change.sinceMs;
    }
    this.wake();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Age of the oldest change not applied yet (ms); 0 when nothing is pending. */
  lagMs(inFlightSinceMs?: number): number {
    const first = this.pending.values().next();
    const oldest = Math.min(first.done ? Number.POSITIVE_INFINITY : first.value.sinceMs, inFlightSinceMs ?? Number.POSITIVE_INFINITY);
    return Number.isFinite(oldest) ? Math.max(0, this.clock() - oldest) : 0;
  }

  /** Resolves when a change is pending (at once if one is), or when `wake` is called. */
  changed(): Promise<void> {
    if (this.pending.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Releases a `changed()` waiter (to stop). */
  wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private enqueue(id: string, key: Buffer, now: number): void {
    if (!this.pending.has(id)) this.pending.set(id, { key, sinceMs: now });
    this.wake();
  }

  private closeMark(mark: number): void {
    const left = (this.openMarks.get(mark) ?? 1) - 1;
    if (left > 0) this.openMarks.set(mark, left);
    else this.openMarks.delete(mark);
    this.prune();
  }

  /** Forgets events no open mark can ask about (all of them once no bulk batch is open). */
  private prune(): void {
    if (this.openMarks.size === 0) {
      this.lastEvent.clear();
      return;
    }
    const oldest = Math.min(...this.openMarks.keys());
    for (const [id, seq] of this.lastEvent) {
      if (seq > oldest) break;
      this.lastEvent.delete(id);
    }
  }
}
