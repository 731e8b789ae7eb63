import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import type { UnitDescriptor } from '../../core/contracts.js';
import { ChangeTracker } from '../../core/follow/change-tracker.js';
import { readFlushMarks } from '../../redis/flush-watch.js';
import { type KeyspaceSubscription, subscribeKeyEvents } from '../../redis/keyspace-subscription.js';
import { openUnitIo, type UnitIo } from '../unit-io.js';
import { applyChanges } from './apply-changes.js';
import { type Follower, type FollowStats, isRetryable, type UnitReconcile } from './follower.js';

export type { FollowStats } from './follower.js';

export interface UnitFollowerOptions {
  config: MigrationConfig;
  unit: UnitDescriptor;
  budget: ByteBudget;
  selected: (key: Buffer) => boolean;
  /** Runs one reconcile pass of the unit, reporting its batches to `observer` (the follower's guard). */
  reconcile: UnitReconcile;
  note: (message: string) => void;
  /** How often INFO is read for flushes and restarts (ms). */
  watchIntervalMs?: number;
  /** Keys applied per round. */
  applyBatch?: number;
  /** Checks (or sets) the node's notify-keyspace-events before the first subscription there. */
  prepareNode: (client: NonNullable<UnitIo['clients']>['source'], address: string) => Promise<void>;
  /**
   * Subscribe and record events, but apply nothing until beginApplying(): a follower taking over
   * from another (the serverless hand-over) must not write before its predecessor's last write.
   */
  holdApplies?: boolean;
}

const RETRY_MS = [250, 500, 1000, 2000, 5000];

/**
 * Follows one unit (one source node × db): subscribes to its keyevent channel before the unit's
 * bulk copy starts, applies every changed key from the source's current state, and heals each gap
 * (a lost subscription, a flush, a restart, a bulk batch that may have landed unconfirmed) with a
 * reconcile pass, while still following. See docs/follow.md for why this ends identical.
 */
export class UnitFollower implements Follower {
  readonly tracker = new ChangeTracker();
  private io: UnitIo | undefined;
  private subscription: KeyspaceSubscription | undefined;
  private stopped = false;
  private copyDone = false;
  private gap: string | undefined;
  private reconciling = false;
  private applying: { sinceMs: number } | undefined;
  private counters = { applied: 0, deleted: 0, gaps: 0, gapsHealed: 0 };
  private lastEventMs = performance.now();
  private lastEventAt: string | undefined;
  private flushMarks: string | undefined;
  private failure: unknown;
  private loops: Promise<void>[] = [];
  private kick: (() => void) | undefined;
  private reconnecting: Promise<void> | undefined;
  private releasing = false;
  private stopping: Promise<void> | undefined;
  private openGate: () => void = () => {};
  private readonly applyGate = new Promise<void>((resolve) => {
    this.openGate = resolve;
  });

  constructor(private readonly options: UnitFollowerOptions) {
    if (!options.holdApplies) this.openGate();
  }

  /** Starts applying the changes recorded so far and every later one (see `holdApplies`). */
  beginApplying(): void {
    this.openGate();
  }

  /**
   * Hands the unit over to a follower that is already subscribed: lets a running reconcile finish
   * (starting none), unsubscribes (every event published before that is received), applies every
   * change still pending, then stops. Whatever this follower writes lands before it returns, and
   * its successor covers every event after the unsubscribe. A gap still open is in stats().gap.
   */
  async release(): Promise<void> {
    this.releasing = true;
    this.poke();
    await this.until(() => !this.reconciling);
    await this.subscription?.drain().catch(() => this.openGap('the subscription was lost while handing over'));
    await this.until(() => this.applying === undefined && this.tracker.pendingCount === 0);
    await this.stop();
  }

  /** Subscribes (resolves once the server confirmed it) and starts applying changes. */
  async start(): Promise<void> {
    await this.connect();
    this.loops = [this.applyLoop(), this.watchLoop(), this.healLoop()];
  }

  /** The unit's bulk copy finished: gaps can now be healed (a reconcile needs the copy done). */
  copyFinished(unconfirmedBatches: boolean): void {
    if (unconfirmedBatches) this.openGap('a bulk batch was sent but never confirmed');
    this.copyDone = true;
    this.poke();
  }

  /** Opens a gap by hand (the run was down, so events were missed). */
  openGap(reason: string): void {
    if (this.gap === undefined) this.counters.gaps++;
    this.gap ??= reason;
    this.options.note(`unit ${this.options.unit.id}: gap (${reason}); a reconcile will repair it`);
    this.poke();
  }

  stats(): FollowStats {
    return {
      events: this.tracker.events,
      ...this.counters,
      pending: this.tracker.pendingCount,
      lagMs: this.tracker.lagMs(this.applying?.sinceMs),
      ...(this.gap !== undefined ? { gap: this.gap } : {}),
      reconciling: this.reconciling,
      ...(this.lastEventAt ? { lastEventAt: this.lastEventAt } : {}),
      quietMs: performance.now() - this.lastEventMs,
    };
  }

  /** Events say when the source is quiet: the cutover waits for the quiet period instead (FollowPhase.cutover). */
  beginCutover(): void {}

  /** Nothing left to do: copied, no gap, nothing pending or in flight, subscription live. */
  caughtUp(): boolean {
    this.throwIfFailed();
    return (
      this.copyDone &&
      this.subscription !== undefined &&
      this.gap === undefined &&
      !this.reconciling &&
      this.applying === undefined &&
      this.tracker.pendingCount === 0
    );
  }

  /** Every change seen so far is applied (the copy and gaps aside). */
  caughtUpOnEvents(): boolean {
    this.throwIfFailed();
    return this.applying === undefined && this.tracker.pendingCount === 0;
  }

  /** Re-reads INFO now, so a flush made just before the writes stopped is seen before the verdict. */
  async checkFlushes(): Promise<void> {
    if (this.io?.clients) await this.pollFlushes(this.io.clients.source);
  }

  throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /** Stops following (idempotent). */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    this.openGate();
    this.subscription?.close();
    this.tracker.wake();
    this.poke();
    await Promise.all(this.loops);
    await this.io?.close();
  }

  private async connect(): Promise<void> {
    const { config, unit } = this.options;
    this.io = await openUnitIo({ config, unit, budget: this.options.budget, note: this.options.note });
    if (this.io.clients) await this.options.prepareNode(this.io.clients.source, this.io.node.address);
    this.subscription = await subscribeKeyEvents(config.source, this.io.node.address, unit.sourceDb, (key) => this.onEvent(key));
    if (this.io.clients) this.flushMarks = await readFlushMarks(this.io.clients.source);
  }

  private onEvent(key: Buffer): void {
    this.lastEventMs = performance.now();
    this.lastEventAt = new Date().toISOString();
    this.tracker.record(key);
  }

  private async applyLoop(): Promise<void> {
    const batch = this.options.applyBatch ?? 1000;
    await this.applyGate;
    while (!this.stopped) {
      await this.tracker.changed();
      if (this.stopped) return;
      const io = this.io;
      if (!io) {
        await this.sleep(100);
        continue;
      }
      const changes = this.tracker.take(batch);
      this.applying = { sinceMs: Math.min(...changes.map((c) => c.sinceMs)) };
      try {
        const done = await applyChanges(
          io,
          changes.map((c) => c.key),
          this.options.selected,
          this.options.config.scan.type,
        );
        this.counters.applied += done.copied;
        this.counters.deleted += done.deleted;
      } catch (error) {
        this.tracker.putBack(changes);
        await this.recover(error, 'applying changes');
      } finally {
        this.applying = undefined;
      }
    }
  }

  /** Watches the subscription and INFO; a loss or a flush opens a gap, and the subscription is renewed. */
  private async watchLoop(): Promise<void> {
    const interval = this.options.watchIntervalMs ?? 1000;
    while (!this.stopped) {
      const current = this.subscription;
      const reason = await Promise.race([current?.lost, this.sleep(interval).then(() => undefined)]);
      if (this.stopped) return;
      try {
        if (current === undefined) {
          // A reconnect failed (or is under way elsewhere): try again; the gap is already open.
          await this.resubscribe();
        } else if (reason !== undefined && this.subscription === current) {
          this.openGap(reason);
          await this.resubscribe();
        } else if (this.io?.clients) {
          await this.pollFlushes(this.io.clients.source);
        }
      } catch (error) {
        await this.recover(error, 'watching the source');
      }
    }
  }

  private async pollFlushes(client: NonNullable<UnitIo['clients']>['source']): Promise<void> {
    const marks = await readFlushMarks(client);
    if (this.flushMarks !== undefined && marks !== this.flushMarks) {
      this.openGap(`the source node was flushed, swapped or restarted (${this.flushMarks} → ${marks})`);
    }
    this.flushMarks = marks;
  }

  /** Closes the unit's connections and opens them again (on the node that serves the unit now); one at a time. */
  private resubscribe(): Promise<void> {
    this.reconnecting ??= (async () => {
      try {
        this.subscription?.close();
        this.subscription = undefined;
        const old = this.io;
        this.io = undefined;
        await old?.close().catch(() => {});
        await this.connect();
        this.options.note(`unit ${this.options.unit.id}: subscribed again on ${this.io!.node.address}`);
      } finally {
        this.reconnecting = undefined;
      }
    })();
    return this.reconnecting;
  }

  /** Runs a reconcile once the copy is done and the subscription is live, for every gap opened. */
  private async healLoop(): Promise<void> {
    while (!this.stopped) {
      if (this.gap !== undefined && this.copyDone && this.subscription !== undefined && !this.releasing) {
        const reason = this.gap;
        this.gap = undefined;
        this.reconciling = true;
        try {
          await this.options.reconcile(this.tracker);
          if (this.tracker.bulkPassEnded()) this.openGap('a reconcile batch was sent but never confirmed');
          this.counters.gapsHealed++;
          this.options.note(`unit ${this.options.unit.id}: reconciled (${reason})`);
        } catch (error) {
          this.tracker.bulkPassEnded();
          this.gap ??= reason;
          await this.recover(error, 'reconciling');
        } finally {
          this.reconciling = false;
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        this.kick = resolve;
        setTimeout(resolve, 500).unref();
      });
    }
  }

  /** A retryable error (connection, failover) waits and reconnects; any other fails the follower. */
  private async recover(error: unknown, doing: string): Promise<void> {
    if (this.stopped) return;
    if (!isRetryable(error)) {
      this.failure ??= error;
      this.stopped = true;
      this.tracker.wake();
      return;
    }
    this.options.note(`unit ${this.options.unit.id}: ${doing} failed (${(error as Error).message}); retrying`);
    for (const delay of RETRY_MS) {
      if (this.stopped) return;
      await this.sleep(delay);
      try {
        // Events published while reconnecting are lost: the new subscription starts with a gap.
        this.openGap(`${doing} failed: ${(error as Error).message}`);
        await this.resubscribe();
        return;
      } catch {
        // try again after a longer wait
      }
    }
  }

  /** Waits until `done()` holds, or the follower stopped (failed). */
  private async until(done: () => boolean): Promise<void> {
    while (!done() && !this.stopped) await this.sleep(20);
  }

  private poke(): void {
    const kick = this.kick;
    this.kick = undefined;
    kick?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
  }
}
