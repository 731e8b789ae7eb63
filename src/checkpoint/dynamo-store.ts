import { type DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  type CheckpointStore,
  type MigrationPlan,
  newCheckpoint,
  type RdbFileIdentity,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
} from '../core/contracts.js';
import { CheckpointConflictError, MigrationError } from '../core/errors.js';
import {
  conditionalUpdate,
  countersToAttribute,
  Expr,
  extraFields,
  forEachLimited,
  guarded,
  type Item,
  isConditionalCheckFailed,
  migrationKey,
  n,
  queryPrefix,
  type StoredUnit,
  s,
  str,
  strList,
  translateDynamoError,
  UNIT_SK_PREFIX,
  unitFromItem,
  unitKey,
} from './dynamo-items.js';
import { TTL_ATTRIBUTE } from './table-keys.js';

export type { StoredUnit, UnitLease } from './dynamo-items.js';

export interface DynamoStoreOptions {
  /** This worker (e.g. "<run>/<Lambda request id>"): written as the unit's lease owner. */
  owner: string;
  /** The run (chain of executions) the worker belongs to; a newer worker of the same run may take a unit over. */
  runId: string;
  /** How long each write keeps the unit leased. @default 16 minutes (a 15-minute Lambda and some slack) */
  leaseMs?: number;
  now?: () => number;
}

/** Attempts at a read-then-conditional-write before giving up on a unit that keeps changing. */
const RACE_ATTEMPTS = 5;

/**
 * Checkpoints of one migration in DynamoDB (layout in dynamo-items.ts). Every unit write is one
 * conditional UpdateItem on the version the writer read AND on the lease: the item must be leased
 * to this owner, or be free, or its lease expired. A worker that lost the unit (another took it
 * over, or advanced it) gets CheckpointConflictError on its next write and must stop, so two
 * workers can never both advance one unit. Counters live on the unit item and move with it.
 */
export class DynamoCheckpointStore implements CheckpointStore {
  readonly owner: string;
  readonly runId: string;
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    readonly migrationId: string,
    options: DynamoStoreOptions,
  ) {
    this.owner = options.owner;
    this.runId = options.runId;
    this.leaseMs = options.leaseMs ?? 16 * 60_000;
    this.now = options.now ?? Date.now;
  }

  async loadPlan(): Promise<MigrationPlan | undefined> {
    const { Item } = await guarded(
      () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: migrationKey(this.migrationId), ConsistentRead: true })),
      () => '',
    );
    const createdAt = Item && str(Item, 'planCreatedAt');
    if (!Item || !createdAt) return undefined;
    const ids = strList(Item, 'unitIds') ?? [];
    const targetUnits = str(Item, 'targetUnits');
    const rdb = str(Item, 'rdb');
    const byId = new Map((await this.listUnits()).map((u) => [u.checkpoint.unitId, u]));
    const units = ids.map((id) => {
      const descriptor = byId.get(id)?.descriptor;
      if (!descriptor)
        throw new MigrationError(
          `checkpoint table ${this.tableName} lacks unit ${id} of migration ${this.migrationId}; start a new migration id`,
        );
      return descriptor;
    });
    return {
      migrationId: this.migrationId,
      units,
      ...(targetUnits ? { targetUnits: JSON.parse(targetUnits) as TargetUnitDescriptor[] } : {}),
      ...(rdb ? { rdb: JSON.parse(rdb) as RdbFileIdentity } : {}),
      createdAt,
    };
  }

  /**
   * Unit items first, then the plan on the migration item as the commit point: without
   * transactions, a crash in between leaves no plan, and the next attempt plans again over the
   * same untouched (version 0) unit items.
   */
  async savePlan(plan: MigrationPlan): Promise<void> {
    const updatedAt = new Date(this.now()).toISOString();
    await forEachLimited(plan.units, 8, async (unit) => {
      const e = new Expr();
      const cp = newCheckpoint(unit.id);
      const item: Item = {
        ...unitKey(this.migrationId, unit.id),
        descriptor: s(JSON.stringify(unit)),
        status: s(cp.status),
        cursor: s(cp.cursor),
        counters: countersToAttribute(cp.counters),
        version: n(0),
        updatedAt: s(updatedAt),
      };
      const condition = `attribute_not_exists(${e.name('pk')}) OR ${e.name('version')} = ${e.value(n(0))}`;
      await guarded(
        () =>
          this.client.send(new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: condition, ...e.params() })),
        () => `unit ${unit.id} of migration ${this.migrationId} already has progress: another worker saved this plan first`,
      );
    });

    const e = new Expr();
    // The target units are few (one per target master × db): they travel on the migration item, with the commit.
    const targetUnits = plan.targetUnits ? `, ${e.name('targetUnits')} = ${e.value(s(JSON.stringify(plan.targetUnits)))}` : '';
    // A restore's file identity (size, ETag): a resume against another object is refused (plan-restore.ts).
    const rdb = plan.rdb ? `, ${e.name('rdb')} = ${e.value(s(JSON.stringify(plan.rdb)))}` : '';
    const unitIds = e.value({ L: plan.units.map((u) => s(u.id)) });
    const update =
      `SET ${e.name('planCreatedAt')} = ${e.value(s(plan.createdAt))}, ${e.name('unitIds')} = ${unitIds}${targetUnits}${rdb}, ` +
      `${e.name('updatedAt')} = ${e.value(s(updatedAt))}`;
    await conditionalUpdate(
      this.client,
      this.tableName,
      migrationKey(this.migrationId),
      e,
      {
        UpdateExpression: update,
        ConditionExpression: `attribute_not_exists(${e.name('planCreatedAt')})`,
      },
      () => `migration ${this.migrationId} already has a plan: another worker saved it first`,
    );
  }

  async loadUnit(unitId: string): Promise<UnitCheckpoint | undefined> {
    return (await this.loadUnitRecord(unitId))?.checkpoint;
  }

  async loadUnitRecord(unitId: string): Promise<StoredUnit | undefined> {
    const { Item } = await guarded(
      () =>
        this.client.send(new GetItemCommand({ TableName: this.tableName, Key: unitKey(this.migrationId, unitId), ConsistentRead: true })),
      () => '',
    );
    return Item ? unitFromItem(Item) : undefined;
  }

  /** Every unit item of the migration (one consistent Query, paginated). */
  async listUnits(): Promise<StoredUnit[]> {
    return (await queryPrefix(this.client, this.tableName, this.migrationId, UNIT_SK_PREFIX)).map(unitFromItem);
  }

  async saveUnit(checkpoint: UnitCheckpoint): Promise<UnitCheckpoint> {
    const now = this.now();
    const next = checkpoint.version + 1;
    const done = checkpoint.status === 'done';
    const e = new Expr();
    const set = [
      `${e.name('status')} = ${e.value(s(checkpoint.status))}`,
      `${e.name('cursor')} = ${e.value(s(checkpoint.cursor))}`,
      `${e.name('counters')} = ${e.value(countersToAttribute(checkpoint.counters))}`,
      `${e.name('version')} = ${e.value(n(next))}`,
      `${e.name('updatedAt')} = ${e.value(s(checkpoint.updatedAt))}`,
    ];
    const remove: string[] = [];
    if (checkpoint.writeFrontier === null) remove.push(e.name('writeFrontier'));
    else set.push(`${e.name('writeFrontier')} = ${e.value(s(checkpoint.writeFrontier))}`);
    if (checkpoint.error === undefined) remove.push(e.name('error'), e.name('errorType'), e.name('errorRun'));
    else set.push(`${e.name('error')} = ${e.value(s(checkpoint.error))}`);
    const extra = extraFields(checkpoint);
    if (extra === undefined) remove.push(e.name('extra'));
    else set.push(`${e.name('extra')} = ${e.value(s(extra))}`);
    // A finished unit is nobody's; otherwise every write renews this worker's lease.
    if (done) remove.push(e.name('leaseOwner'), e.name('leaseRun'), e.name('leaseExpiresAt'));
    else
      set.push(
        `${e.name('leaseOwner')} = ${e.value(s(this.owner))}`,
        `${e.name('leaseRun')} = ${e.value(s(this.runId))}`,
        `${e.name('leaseExpiresAt')} = ${e.value(n(now + this.leaseMs))}`,
      );

    const condition = `${this.versionCondition(e, checkpoint.version)} AND ${this.leaseCondition(e, now)}`;
    try {
      await conditionalUpdate(this.client, this.tableName, unitKey(this.migrationId, checkpoint.unitId), e, {
        UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: condition,
      });
    } catch (error) {
      if (error instanceof CheckpointConflictError) throw await this.conflict(checkpoint.unitId, checkpoint.version, error);
      throw error;
    }
    const { owner: _previous, ...rest } = checkpoint;
    return { ...rest, version: next, ...(done ? {} : { owner: this.owner }) };
  }

  /**
   * Takes the unit for this worker and returns its checkpoint. A lease held by another worker of
   * the same run (a retried invocation replacing one that lost contact) or an expired lease is
   * taken over; the version bump fences the previous holder out. A live lease of another run is
   * refused with CheckpointConflictError, unless `evictOtherRuns`: a caller that holds the
   * migration's claim knows any other run is a stopped one whose leases were left behind.
   */
  async acquireUnit(unitId: string, options: { evictOtherRuns?: boolean } = {}): Promise<UnitCheckpoint> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const stored = await this.loadUnitRecord(unitId);
      const current = stored?.checkpoint ?? newCheckpoint(unitId);
      if (current.status === 'done') return current;
      const now = this.now();
      const lease = stored?.lease;
      if (lease && lease.runId !== this.runId && lease.expiresAt >= now && !options.evictOtherRuns) {
        throw new CheckpointConflictError(
          `unit ${unitId} of migration ${this.migrationId} is being copied by run ${lease.runId} ` +
            `(lease until ${new Date(lease.expiresAt).toISOString()}); this worker stops`,
        );
      }
      const e = new Expr();
      const update =
        `SET ${e.name('leaseOwner')} = ${e.value(s(this.owner))}, ${e.name('leaseRun')} ` +
        `= ${e.value(s(this.runId))}, ${e.name('leaseExpiresAt')} = ${e.value(n(now + this.leaseMs))}, ${e.name('version')} ` +
        `= ${e.value(n(current.version + 1))}`;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: unitKey(this.migrationId, unitId),
            UpdateExpression: update,
            ConditionExpression: this.versionCondition(e, current.version),
            ...e.params(),
          }),
        );
        return { ...current, version: current.version + 1, owner: this.owner };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateDynamoError(error, '');
        // Someone wrote in between: read again and decide again.
      }
    }
    throw new CheckpointConflictError(
      `unit ${unitId} of migration ${this.migrationId} kept changing while this worker tried to take it over; this worker stops`,
    );
  }

  /**
   * Marks the unit failed with the error, unless it is done or another live run holds it (a stale
   * run must not overwrite the state of the one that replaced it). Releases the lease. Returns
   * whether the failure was recorded.
   */
  async recordUnitFailure(unitId: string, failure: { error: string; message: string }): Promise<boolean> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const stored = await this.loadUnitRecord(unitId);
      if (!stored || stored.checkpoint.status === 'done') return false;
      const now = this.now();
      if (stored.lease && stored.lease.runId !== this.runId && stored.lease.expiresAt >= now) return false;
      const e = new Expr();
      const update =
        `SET ${e.name('status')} = ${e.value(s('failed'))}, ${e.name('error')} = ${e.value(s(failure.message))}, ${e.name('errorType')} ` +
        `= ${e.value(s(failure.error))}, ${e.name('errorRun')} = ${e.value(s(this.runId))}, ${e.name('version')} ` +
        `= ${e.value(n(stored.checkpoint.version + 1))}, ${e.name('updatedAt')} = ${e.value(s(new Date(now).toISOString()))} ` +
        `REMOVE ${e.name('leaseOwner')}, ${e.name('leaseRun')}, ${e.name('leaseExpiresAt')}`;
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: unitKey(this.migrationId, unitId),
            UpdateExpression: update,
            ConditionExpression: this.versionCondition(e, stored.checkpoint.version),
            ...e.params(),
          }),
        );
        return true;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateDynamoError(error, '');
      }
    }
    return false;
  }

  /** Sets the TTL attribute (epoch seconds) on the given units, so finished state ages out. */
  async expireUnits(unitIds: string[], expiresAtSeconds: number): Promise<void> {
    await forEachLimited(unitIds, 8, async (unitId) => {
      const e = new Expr();
      await conditionalUpdate(
        this.client,
        this.tableName,
        unitKey(this.migrationId, unitId),
        e,
        {
          UpdateExpression: `SET ${e.name(TTL_ATTRIBUTE)} = ${e.value(n(expiresAtSeconds))}`,
          ConditionExpression: `attribute_exists(${e.name('pk')})`,
        },
        () => `unit ${unitId} of migration ${this.migrationId} is missing`,
      );
    });
  }

  private versionCondition(e: Expr, version: number): string {
    const v = e.name('version');
    return version === 0 ? `(attribute_not_exists(${v}) OR ${v} = ${e.value(n(0))})` : `${v} = ${e.value(n(version))}`;
  }

  private leaseCondition(e: Expr, now: number): string {
    const owner = e.name('leaseOwner');
    return `(attribute_not_exists(${owner}) OR ${owner} = ${e.value(s(this.owner))} OR ${e.name('leaseExpiresAt')} < ${e.value(n(now))})`;
  }

  /** A conflict error that says who holds the unit now, read back after the failed write. */
  private async conflict(unitId: string, expected: number, cause: CheckpointConflictError): Promise<CheckpointConflictError> {
    const stored = await this.loadUnitRecord(unitId).catch(() => undefined);
    const holder = stored?.lease ? `, leased to ${stored.lease.owner}` : '';
    return new CheckpointConflictError(
      `unit ${unitId} of migration ${this.migrationId} was advanced by another worker ` +
        `(stored version ${stored?.checkpoint.version ?? 'none'}${holder}; this worker expected ${expected}); this worker stops`,
      { cause },
    );
  }
}
