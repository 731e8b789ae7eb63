/**
 * A process's default: with 8 MB reads (key-source.ts) and each written part's encoded copy, the
 * payload bytes in memory stay near 100 MB, next to Node's own ~90 MB, under the 300 MB goal.
 */
export const DEFAULT_READ_BUDGET_BYTES = 64 * 1024 * 1024;

/** Bytes held for one read: resized to what was actually read, released once written (idempotent). */
export interface BudgetHold {
  resize(bytes: number): void;
  release(): void;
}

/** For callers without a budget. */
export const NO_HOLD: BudgetHold = { resize: () => {}, release: () => {} };

/**
 * Bytes of key values a process may hold at once: DUMP payloads read and not yet written. Every
 * unit of a process reads through the same budget, so the bound holds however many units copy
 * concurrently and whatever the values' sizes (SCAN batches are counted in keys, and 1000 keys of
 * 8 MB would otherwise be read as one 8 GB batch).
 *
 * Grants are first come, first served: a request waits until it fits, and no later request
 * passes it. A request bigger than the whole budget is granted once nothing else is held, so
 * one oversized key still moves. `take` grants at once, without waiting: for the read the
 * writer itself waits on (see copy/write-pipeline.ts), which must never queue behind reads issued after it,
 * since those cannot be written, and so released, before it.
 */
export class ByteBudget {
  private held = 0;
  private highWater = 0;
  private readonly waiting: { bytes: number; grant: () => void }[] = [];

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`byte budget must be positive, got ${limit}`);
  }

  /** Bytes granted and not released. */
  get inUse(): number {
    return this.held;
  }

  /** The most ever held at once. */
  get peak(): number {
    return this.highWater;
  }

  /** Waits until `bytes` fit (or nothing else is held), then holds them. */
  acquire(bytes: number): Promise<BudgetHold> {
    if (this.waiting.length === 0 && this.fits(bytes)) return Promise.resolve(this.take(bytes));
    return new Promise((grant) => this.waiting.push({ bytes, grant: () => grant(this.holding(bytes)) }));
  }

  /** Holds `bytes` now, over the limit if need be. */
  take(bytes: number): BudgetHold {
    this.hold(bytes);
    return this.holding(bytes);
  }

  release(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.hold(next.bytes);
      next.grant();
    }
  }

  /** A hold on `bytes` already counted in `held`. */
  private holding(bytes: number): BudgetHold {
    let mine = bytes;
    return {
      resize: (to) => {
        if (to > mine) this.hold(to - mine);
        else this.release(mine - to);
        mine = to;
      },
      release: () => {
        this.release(mine);
        mine = 0;
      },
    };
  }

  private fits(bytes: number): boolean {
    return this.held === 0 || this.held + bytes <= this.limit;
  }

  private hold(bytes: number): void {
    this.held += bytes;
    if (this.held > this.highWater) this.highWater = this.held;
  }
}
