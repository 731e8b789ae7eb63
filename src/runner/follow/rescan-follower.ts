import type { UnitDescriptor } from '../../core/contracts.js';
import { ChangeTracker } from '../../core/follow/change-tracker.js';
import { type Follower, type FollowStats, isRetryable, type RescanStats, type UnitReconcile } from './follower.js';

export interface RescanFollowerOptions {
  unit: UnitDescriptor;
  /** One reconcile pass of the unit: copy what differs, delete what the source lacks (reconcile-unit.ts). */
  reconcile: UnitReconcile;
  note: (message: string) => void;
  /** Pause between the end of a pass and the start of the next (ms). */
  pauseMs: number;
}

const RETRY_MS = [250, 500, 1000, 2000, 5000];

/**
 * Follows one unit without keyspace notifications: once the unit's copy is done, reconcile passes
 * run one after the other, each copying what differs and deleting what the source lacks. A pass
 * sees every write made before it read the key; a write made after that is left to the next pass.
 *
 * That is why the cutover cannot be "the last pass was clean": a write may land behind a pass's
 * cursor while it runs. Once the cutover is asked for (the user says writes have stopped), the pass
 * under way is cut short and a final pass starts; only a full pass that started after the request
 * and found no difference at all makes the verdict. One that found differences is followed by
 * another (the writes had not stopped, or the previous pass had not seen them yet).
 */
export class RescanFollower implements Follower {
  /** No events to record: kept so the copy's batches have a guard to report to, as in events mode. */
  readonly tracker = new ChangeTracker();
  private copyDone = false;
  private stopped = false;
  private passes = 0;
  private running: RescanStats['running'];
  private last: RescanStats['last'];
  private lastCleanAt: string | undefined;
  private counters = { applied: 0, deleted: 0 };
  /** Start of the last complete pass (ms, monotonic): everything before it is on the target. */
  private lastPassStartMs: number | undefined;
  /** Start of the first pass of the current run of clean passes (ms, monotonic). */
  private cleanSinceMs: number | undefined;
  private cutoverAtMs: number | undefined;
  private finalClean = false;
  private failure: unknown;
  private loop: Promise<void> | undefined;
  private kick: (() => void) | undefined;

  constructor(private readonly options: RescanFollowerOptions) {}

  async start(): Promise<void> {
    this.loop = this.passLoop();
  }

  copyFinished(): void {
    this.copyDone = true;
    this.poke();
  }

  /** Every pass compares the whole unit: whatever a gap hid, the next pass finds it. */
  openGap(): void {}

  beginCutover(): void {
    this.cutoverAtMs ??= performance.now();
    this.poke();
  }

  caughtUp(): boolean {
    this.throwIfFailed();
    return this.finalClean;
  }

  caughtUpOnEvents(): boolean {
    return true;
  }

  async checkFlushes(): Promise<void> {}

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  stats(): FollowStats {
    const now = performance.now();
    return {
      events: 0,
      ...this.counters,
      pending: 0,
      lagMs: this.lastPassStartMs === undefined ? 0 : now - this.lastPassStartMs,
      gaps: 0,
      gapsHealed: 0,
      reconciling: this.running !== undefined,
      quietMs: this.cleanSinceMs === undefined ? 0 : now - this.cleanSinceMs,
      rescan: {
        passes: this.passes,
        ...(this.running ? { running: this.running } : {}),
        ...(this.last ? { last: this.last } : {}),
        ...(this.lastCleanAt ? { lastCleanAt: this.lastCleanAt } : {}),
      },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.loop;
  }

  private async passLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (!this.copyDone || this.finalClean) {
        await this.sleep(500);
        continue;
      }
      try {
        await this.runPass();
        failures = 0;
      } catch (error) {
        if (!isRetryable(error)) {
          this.failure = error;
          return;
        }
        const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)]!;
        this.options.note(`unit ${this.options.unit.id}: rescan pass failed (${(error as Error).message}); retrying`);
        await this.sleep(delay);
        continue;
      }
      if (this.cutoverAtMs === undefined && !this.stopped) await this.sleep(this.options.pauseMs);
    }
  }

  /** One pass; a pass that started before the cutover request is cut short by it (it cannot make the verdict). */
  private async runPass(): Promise<void> {
    const final = this.cutoverAtMs !== undefined;
    const startMs = performance.now();
    const startedAt = new Date().toISOString();
    this.running = { pass: this.passes + 1, final, startedAt };
    try {
      const result = await this.options.reconcile(this.tracker, () => this.stopped || (!final && this.cutoverAtMs !== undefined));
      if (!result.complete) return;
      const { counts } = result;
      const changed = counts.missing + counts.different + counts.deleted;
      this.passes++;
      this.counters.applied += counts.missing + counts.different;
      this.counters.deleted += counts.deleted;
      this.lastPassStartMs = startMs;
      const durationMs = performance.now() - startMs;
      this.last = { pass: this.passes, compared: counts.compared, changed, durationMs, startedAt, final };
      if (changed === 0) {
        this.lastCleanAt = new Date().toISOString();
        this.cleanSinceMs ??= startMs;
      } else {
        this.cleanSinceMs = undefined;
      }
      if (final) this.finalPassDone(changed, counts.compared, durationMs);
    } finally {
      this.tracker.bulkPassEnded();
      this.running = undefined;
    }
  }

  private finalPassDone(changed: number, compared: number, durationMs: number): void {
    const what = `unit ${this.options.unit.id}: pass ${this.passes} (started after the cutover request) compared ${compared} key(s)`;
    const took = `in ${(durationMs / 1000).toFixed(1)} s`;
    if (changed === 0) {
      this.finalClean = true;
      this.options.note(`${what} and found no difference ${took}`);
    } else {
      this.options.note(`${what} and changed ${changed} ${took}; another pass follows (are writes still reaching the source?)`);
    }
  }

  private poke(): void {
    const kick = this.kick;
    this.kick = undefined;
    kick?.();
  }

  /** Waits `ms`, or less when poked (the copy finished, the cutover was asked for, stop). */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.kick = resolve;
      setTimeout(resolve, ms).unref();
    });
  }
}
