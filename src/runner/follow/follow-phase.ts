import type { Redis } from 'ioredis';
import type { ByteBudget } from '../../core/byte-budget.js';
import type { MigrationConfig } from '../../core/config.js';
import type { BulkWriteObserver, UnitDescriptor } from '../../core/contracts.js';
import type { KeyFilter } from '../../core/key-filter.js';
import { connectNode, quit } from '../../redis/connect.js';
import { enableNotifyFlags, notifyFlagsError, readNotifyConfig } from '../../redis/notify-config.js';
import { followSelection } from './apply-changes.js';
import { type FollowStateStore, followStateOf } from './follow-state.js';
import type { Follower, FollowStats } from './follower.js';
import type { ReconcileUnitResult } from './reconcile-unit.js';
import { RescanFollower } from './rescan-follower.js';
import { UnitFollower } from './unit-follower.js';

export interface FollowPhaseOptions {
  config: MigrationConfig;
  units: UnitDescriptor[];
  filter: KeyFilter;
  budget: ByteBudget;
  /** Sets missing notify-keyspace-events flags for the run and puts the old value back at the end. */
  configSet: boolean;
  /** One reconcile pass of a unit (copy what differs, delete what the source lacks), reporting to `observer`. */
  reconcile: (unit: UnitDescriptor, observer: BulkWriteObserver, shouldStop?: () => boolean) => Promise<ReconcileUnitResult>;
  note: (message: string) => void;
  watchIntervalMs?: number;
  /** Keeps the values to put back across a killed run, so the next run restores them. */
  restoreStore?: NotifyRestoreStore;
  /** Where the follow state (last events, open gaps, last time alive) is saved every second. */
  stateStore?: FollowStateStore;
}

/** notify-keyspace-events values to put back when following ends, by node address. */
export interface NotifyRestoreStore {
  load(): Promise<Record<string, string>>;
  save(values: Record<string, string>): Promise<void>;
}

export interface CutoverVerdict {
  /**
   * Events: the last event any unit saw before the quiet period (or when following began). Rescan:
   * the latest start of the clean passes that made the verdict. The target holds the source as of then.
   */
  caughtUpAt: Date;
  mode: 'events' | 'rescan';
  units: { unit: UnitDescriptor; stats: FollowStats }[];
}

/**
 * The live part of a migration: one UnitFollower per unit, all subscribed before any copy starts,
 * and the cutover that waits until every one has caught up. See docs/follow.md.
 */
export class FollowPhase {
  private readonly followers = new Map<string, Follower>();
  /** notify-keyspace-events values to restore, by node address. */
  private readonly restore = new Map<string, string>();
  private readonly prepared = new Map<string, Promise<void>>();
  private readonly startedAt = new Date();
  private closing: Promise<void> | undefined;
  private saving: { timer: NodeJS.Timeout; last: Promise<void> } | undefined;
  private earlier: Record<string, string> = {};

  constructor(private readonly options: FollowPhaseOptions) {
    for (const unit of options.units) this.followers.set(unit.id, this.createFollower(unit));
  }

  private createFollower(unit: UnitDescriptor): Follower {
    const { config, note } = this.options;
    const reconcile = (observer: BulkWriteObserver, shouldStop?: () => boolean) => this.options.reconcile(unit, observer, shouldStop);
    if (config.follow.mode === 'rescan') return new RescanFollower({ unit, reconcile, note, pauseMs: config.follow.rescanPauseMs });
    return new UnitFollower({
      config,
      unit,
      budget: this.options.budget,
      selected: followSelection(config, this.options.filter),
      reconcile,
      note,
      prepareNode: (client, address) => this.prepareNode(client, address),
      ...(this.options.watchIntervalMs ? { watchIntervalMs: this.options.watchIntervalMs } : {}),
    });
  }

  /** Subscribes every unit; resolves once every subscription is confirmed (before any copy starts). */
  async start(): Promise<void> {
    // Values an earlier, killed run set and never put back: this run puts them back at its end.
    this.earlier = (await this.options.restoreStore?.load()) ?? {};
    await Promise.all([...this.followers.values()].map((f) => f.start()));
    this.saveStateEverySecond();
  }

  /** A heartbeat with each unit's state: a run killed later is known to have followed until then. */
  private saveStateEverySecond(): void {
    const store = this.options.stateStore;
    if (!store) return;
    const save = () =>
      store.save(followStateOf(this.stats())).catch((error: unknown) => this.options.note(`follow state not saved: ${error}`));
    this.saving = { timer: setInterval(() => (this.saving!.last = this.saving!.last.then(save)), 1000), last: save() };
    this.saving.timer.unref();
  }

  follower(unitId: string): Follower {
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
   * Events: waits until every unit has caught up and no event arrived for `quietMs`, then re-checks
   * for flushes and gaps once more: only then is the target identical to the source as of the verdict.
   * Rescan: waits until every unit finished a clean pass started after this call (RescanFollower).
   */
  async cutover(quietMs: number, shouldStop: () => boolean): Promise<CutoverVerdict | undefined> {
    const all = [...this.followers.values()];
    for (const follower of all) follower.beginCutover();
    const rescan = this.options.config.follow.mode === 'rescan';
    for (;;) {
      if (shouldStop()) return undefined;
      if (rescan && all.every((f) => f.caughtUp())) return { caughtUpAt: this.finalPassesAt(), mode: 'rescan', units: this.stats() };
      if (!rescan && all.every((f) => f.caughtUp()) && Math.min(...all.map((f) => f.stats().quietMs)) >= quietMs) {
        await Promise.all(all.map((f) => f.checkFlushes()));
        if (all.every((f) => f.caughtUp())) return { caughtUpAt: this.lastEventAt(), mode: 'events', units: this.stats() };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops following and puts every notify-keyspace-events value back. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.saving) {
        clearInterval(this.saving.timer);
        await this.saving.last;
        await this.options.stateStore?.save(followStateOf(this.stats())).catch(() => {});
      }
      await Promise.all([...this.followers.values()].map((f) => f.stop()));
      await Promise.all([...this.restore].map(([address, value]) => this.restoreNode(address, value)));
      if (this.restore.size > 0) await this.options.restoreStore?.save({});
    })();
    return this.closing;
  }

  /** The latest start of the units' final (clean) passes. */
  private finalPassesAt(): Date {
    const starts = this.stats().map((s) => Date.parse(s.stats.rescan?.last?.startedAt ?? this.startedAt.toISOString()));
    return new Date(Math.max(...starts));
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
