import type { Redis } from 'ioredis';
import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import type { BulkWriteObserver, UnitDescriptor } from '../../core/contracts.js';
import type { KeyFilter } from '../../core/key-filter.js';
import { connectNode, quit } from '../../redis/connect.js';
import { enableNotifyFlags, notifyFlagsError, readNotifyConfig } from '../../redis/notify-config.js';
import { followSelection } from './apply-changes.js';
import { type FollowStats, UnitFollower } from './unit-follower.js';

export interface FollowPhaseOptions {
  config: MigrationConfig;
  units: UnitDescriptor[];
  filter: KeyFilter;
  budget: ByteBudget;
  /** Sets missing notify-keyspace-events flags for the run and puts the old value back at the end. */
  configSet: boolean;
  /** One reconcile pass of a unit (copy what differs, delete what the source lacks), reporting to `observer`. */
  reconcile: (unit: UnitDescriptor, observer: BulkWriteObserver) => Promise<void>;
  note: (message: string) => void;
  watchIntervalMs?: number;
  /** Keeps the values to put back across a killed run, so the next run restores them. */
  restoreStore?: NotifyRestoreStore;
}

/** notify-keyspace-events values to put back when following ends, by node address. */
export interface NotifyRestoreStore {
  load(): Promise<Record<string, string>>;
  save(values: Record<string, string>): Promise<void>;
}

export interface CutoverVerdict {
  /** The last event any unit saw before the quiet period (or when following began): what the target holds. */
  caughtUpAt: Date;
  units: { unit: UnitDescriptor; stats: FollowStats }[];
}

/**
 * The live part of a migration: one UnitFollower per unit, all subscribed before any copy starts,
 * and the cutover that waits until every one has caught up. See docs/follow.md.
 */
export class FollowPhase {
  private readonly followers = new Map<string, UnitFollower>();
  /** notify-keyspace-events values to restore, by node address. */
  private readonly restore = new Map<string, string>();
  private readonly prepared = new Map<string, Promise<void>>();
  private readonly startedAt = new Date();
  private closing: Promise<void> | undefined;
  private earlier: Record<string, string> = {};

  constructor(private readonly options: FollowPhaseOptions) {
    const selected = followSelection(options.config, options.filter);
    for (const unit of options.units) {
      this.followers.set(
        unit.id,
        new UnitFollower({
          config: options.config,
          unit,
          budget: options.budget,
          selected,
          reconcile: (observer) => options.reconcile(unit, observer),
          note: options.note,
          prepareNode: (client, address) => this.prepareNode(client, address),
          ...(options.watchIntervalMs ? { watchIntervalMs: options.watchIntervalMs } : {}),
        }),
      );
    }
  }

  /** Subscribes every unit; resolves once every subscription is confirmed (before any copy starts). */
  async start(): Promise<void> {
    // Values an earlier, killed run set and never put back: this run puts them back at its end.
    this.earlier = (await this.options.restoreStore?.load()) ?? {};
    await Promise.all([...this.followers.values()].map((f) => f.start()));
  }

  follower(unitId: string): UnitFollower {
    return this.followers.get(unitId)!;
  }

  /** The follower's part in each copy session: REPLACE writes, batches reported to the guard. */
  copyHooks() {
    return {
      session: (unit: UnitDescriptor) => ({ policy: 'replace' as const, observer: this.follower(unit.id).tracker }),
      ended: (unit: UnitDescriptor, done: boolean) => {
        const follower = this.follower(unit.id);
        const unconfirmed = follower.tracker.bulkPassEnded();
        if (done) follower.copyFinished(unconfirmed);
        else if (unconfirmed) follower.openGap('a bulk batch was sent but never confirmed');
      },
    };
  }

  /** Every unit's copy is done (some by an earlier run): gaps can be healed everywhere. */
  copiesDone(): void {
    for (const follower of this.followers.values()) follower.copyFinished(false);
  }

  throwIfFailed(): void {
    for (const follower of this.followers.values()) follower.throwIfFailed();
  }

  stats(): { unit: UnitDescriptor; stats: FollowStats }[] {
    return this.options.units.map((unit) => ({ unit, stats: this.follower(unit.id).stats() }));
  }

  /**
   * Waits until every unit has caught up and no event arrived for `quietMs`, then re-checks for
   * flushes and gaps once more: only then is the target identical to the source as of the verdict.
   */
  async cutover(quietMs: number, shouldStop: () => boolean): Promise<CutoverVerdict | undefined> {
    for (;;) {
      if (shouldStop()) return undefined;
      const all = [...this.followers.values()];
      if (all.every((f) => f.caughtUp()) && Math.min(...all.map((f) => f.stats().quietMs)) >= quietMs) {
        await Promise.all(all.map((f) => f.checkFlushes()));
        if (all.every((f) => f.caughtUp())) return { caughtUpAt: this.lastEventAt(), units: this.stats() };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops following and puts every notify-keyspace-events value back. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.followers.values()].map((f) => f.stop()));
      await Promise.all([...this.restore].map(([address, value]) => this.restoreNode(address, value)));
      if (this.restore.size > 0) await this.options.restoreStore?.save({});
    })();
    return this.closing;
  }

  private lastEventAt(): Date {
    const times = this.stats()
      .map((s) => s.stats.lastEventAt)
      .filter((t): t is string => t !== undefined)
      .map((t) => Date.parse(t));
    return times.length > 0 ? new Date(Math.max(...times)) : this.startedAt;
  }

  private prepareNode(client: Redis, address: string): Promise<void> {
    let done = this.prepared.get(address);
    if (!done) {
      done = (async () => {
        const check = await readNotifyConfig(client);
        const earlier = this.earlier[address];
        if (earlier !== undefined) this.restore.set(address, earlier);
        if (check.kind === 'ok') return;
        if (!this.options.configSet || check.kind === 'refused') throw notifyFlagsError(address, check);
        this.restore.set(address, earlier ?? check.current);
        await this.options.restoreStore?.save(Object.fromEntries(this.restore));
        await enableNotifyFlags(client, address, check);
        this.options.note(`source ${address}: notify-keyspace-events set to "${check.current}${check.missing}" for the run`);
      })();
      this.prepared.set(address, done);
      done.catch(() => this.prepared.delete(address));
    }
    return done;
  }

  private async restoreNode(address: string, value: string): Promise<void> {
    try {
      const client = await connectNode('source', this.options.config.source, address);
      try {
        await client.config('SET', 'notify-keyspace-events', value);
      } finally {
        await quit(client);
      }
      this.options.note(`source ${address}: notify-keyspace-events restored to "${value}"`);
    } catch (error) {
      this.options.note(
        `source ${address}: could not restore notify-keyspace-events to "${value}" (${(error as Error).message}); set it by hand`,
      );
    }
  }
}
