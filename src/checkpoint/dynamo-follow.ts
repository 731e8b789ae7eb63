import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ConfigError } from '../core/errors.js';
import {
  Expr,
  guarded,
  type Item,
  isConditionalCheckFailed,
  migrationKey,
  n,
  num,
  queryPrefix,
  requiredStr,
  s,
  str,
} from './dynamo-items.js';

/**
 * The serverless follow phase's state of one unit (docs/serverless.md, "Follow phase"), beside its
 * copy checkpoint:
 *
 *   pk = <migrationId>   sk = "follow#<unitId>"   holder, lease, standby, gap, counters, caught-up verdict
 *
 * One follower invocation at a time *holds* the unit (it applies changes and copies); the next one
 * subscribes first, registers as *standby*, and takes over once the holder released (or its lease
 * lapsed: then with a gap). The migration item's `cutoverRequestedAt` asks every holder to finish.
 */
export const FOLLOW_SK_PREFIX = 'follow#';
/** The migration item's attribute that asks for the cutover (ISO time); `redis-ferry cutover --table` sets it. */
export const CUTOVER_ATTRIBUTE = 'cutoverRequestedAt';

/** Cumulative follow counters of a unit, over every invocation that held it. */
export interface FollowCounters {
  events: number;
  applied: number;
  deleted: number;
  gaps: number;
  gapsHealed: number;
  handovers: number;
}

export interface FollowRecord extends FollowCounters {
  unitId: string;
  /** The invocation applying changes now, its lane, since when, when it plans to hand over, and its lease (epoch ms). */
  holder?: string;
  holderLane?: string;
  activeSince?: number;
  releaseAt?: number;
  leaseUntil?: number;
  /** The invocation subscribed and waiting to take over, and since when (epoch ms). */
  standby?: string;
  standbySince?: number;
  /** A gap no holder has healed yet: the next holder reconciles the unit. */
  gap?: string;
  /** The last hand-over's overlap: how long both followers were subscribed (ms). */
  lastOverlapMs?: number;
  pending: number;
  lagMs: number;
  lastEventAt?: string;
  /** Set once the cutover found the unit caught up: the target equals the source as of this time. */
  caughtUpAt?: string;
  finished: boolean;
  /** A failure that stopped the unit's followers (the run fails with it). */
  error?: string;
  errorType?: string;
  version: number;
  updatedAt?: string;
}

/** What a holder reports at each heartbeat and at its release. */
export interface FollowProgress extends FollowCounters {
  pending: number;
  lagMs: number;
  lastEventAt?: string;
}

const COUNTERS = ['events', 'applied', 'deleted', 'gaps', 'gapsHealed', 'handovers'] as const;

function recordFromItem(item: Item): FollowRecord {
  const record: FollowRecord = {
    unitId: requiredStr(item, 'sk').slice(FOLLOW_SK_PREFIX.length),
    holder: str(item, 'holder'),
    holderLane: str(item, 'holderLane'),
    activeSince: num(item, 'activeSince'),
    releaseAt: num(item, 'releaseAt'),
    leaseUntil: num(item, 'leaseUntil'),
    standby: str(item, 'standby'),
    standbySince: num(item, 'standbySince'),
    gap: str(item, 'gap'),
    lastOverlapMs: num(item, 'lastOverlapMs'),
    pending: num(item, 'pending') ?? 0,
    lagMs: num(item, 'lagMs') ?? 0,
    lastEventAt: str(item, 'lastEventAt'),
    caughtUpAt: str(item, 'caughtUpAt'),
    finished: item.finished?.BOOL ?? false,
    error: str(item, 'error'),
    errorType: str(item, 'errorType'),
    version: num(item, 'version') ?? 0,
    updatedAt: str(item, 'updatedAt'),
    ...(Object.fromEntries(COUNTERS.map((c) => [c, num(item, c) ?? 0])) as unknown as FollowCounters),
  };
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as FollowRecord;
}

/** Every unit's follow record of a migration (status, report). */
export async function listFollowRecords(client: DynamoDBClient, tableName: string, migrationId: string): Promise<FollowRecord[]> {
  return (await queryPrefix(client, tableName, migrationId, FOLLOW_SK_PREFIX)).map(recordFromItem);
}

/** When the cutover was asked for (ISO), if it was. */
export async function readCutoverRequest(client: DynamoDBClient, tableName: string, migrationId: string): Promise<string | undefined> {
  const e = new Expr();
  const { Item } = await guarded(
    () =>
      client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: migrationKey(migrationId),
          ConsistentRead: true,
          ProjectionExpression: e.name(CUTOVER_ATTRIBUTE),
          ExpressionAttributeNames: e.names,
        }),
      ),
    () => '',
  );
  return Item ? str(Item, CUTOVER_ATTRIBUTE) : undefined;
}

/**
 * Asks the followers of a running migration to cut over (idempotent: the first request's time is
 * kept). Fails with ConfigError when the table has no such migration, or it is not running.
 */
export async function requestCutover(client: DynamoDBClient, tableName: string, migrationId: string, at: Date): Promise<string> {
  const e = new Expr();
  const attr = e.name(CUTOVER_ATTRIBUTE);
  try {
    const { Attributes } = await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: migrationKey(migrationId),
        UpdateExpression: `SET ${attr} = if_not_exists(${attr}, ${e.value(s(at.toISOString()))})`,
        ConditionExpression: `attribute_exists(${e.name('pk')}) AND ${e.name('status')} = ${e.value(s('running'))}`,
        ReturnValues: 'ALL_NEW',
        ...e.params(),
      }),
    );
    return str(Attributes ?? {}, CUTOVER_ATTRIBUTE) ?? at.toISOString();
  } catch (error) {
    if (isConditionalCheckFailed(error))
      throw new ConfigError([`no running migration ${migrationId} in table ${tableName}: check the id (redis-ferry status shows it)`]);
    throw error;
  }
}

/** One unit's follow item, as one follower invocation (`me`, on lane `lane`) sees and changes it. */
export class DynamoFollowState {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly migrationId: string,
    readonly unitId: string,
    private readonly me: string,
    private readonly lane: string,
  ) {}

  async load(): Promise<FollowRecord | undefined> {
    const { Item } = await guarded(
      () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: this.key(), ConsistentRead: true })),
      () => '',
    );
    return Item ? recordFromItem(Item) : undefined;
  }

  /** Registers this invocation, subscribed since `at`, as the one to take over next. */
  async standBy(at: number): Promise<FollowRecord> {
    const e = new Expr();
    return this.update(e, `SET ${e.name('standby')} = ${e.value(s(this.me))}, ${e.name('standbySince')} = ${e.value(n(at))}`);
  }

  /**
   * Becomes the holder, if the item is still at `seen.version` (two standbys race; one wins). A gap
   * (this take-over's, or one the previous holder left open) stays on the item until a release
   * clears it; the holder heals it meanwhile.
   */
  async takeOver(seen: FollowRecord | undefined, lease: { releaseAt: number; leaseUntil: number; gap?: string }): Promise<FollowRecord> {
    const e = new Expr();
    const now = Date.now();
    const set = [
      `${e.name('holder')} = ${e.value(s(this.me))}`,
      `${e.name('holderLane')} = ${e.value(s(this.lane))}`,
      `${e.name('activeSince')} = ${e.value(n(now))}`,
      `${e.name('releaseAt')} = ${e.value(n(lease.releaseAt))}`,
      `${e.name('leaseUntil')} = ${e.value(n(lease.leaseUntil))}`,
    ];
    if (lease.gap) set.push(`${e.name('gap')} = ${e.value(s(lease.gap))}`, `${e.name('gaps')} = ${e.value(n((seen?.gaps ?? 0) + 1))}`);
    if (seen?.standbySince !== undefined && seen.holder !== undefined && !lease.gap)
      set.push(`${e.name('lastOverlapMs')} = ${e.value(n(Math.max(0, now - seen.standbySince)))}`);
    if (seen?.activeSince !== undefined) set.push(`${e.name('handovers')} = ${e.value(n(seen.handovers + 1))}`);
    const version = e.name('version');
    const condition = seen ? `${version} = ${e.value(n(seen.version))}` : `attribute_not_exists(${version})`;
    return this.update(e, `SET ${set.join(', ')} REMOVE ${e.name('standby')}, ${e.name('standbySince')}`, condition);
  }

  /** Renews the holder's lease and stores its progress; fails with CheckpointConflictError once another took over. */
  async heartbeat(progress: FollowProgress, leaseUntil: number): Promise<FollowRecord> {
    const e = new Expr();
    const set = [`${e.name('leaseUntil')} = ${e.value(n(leaseUntil))}`, ...this.progress(e, progress)];
    return this.update(e, `SET ${set.join(', ')}`, this.holding(e), false);
  }

  /**
   * Hands the unit over: no holder until the standby takes it. `gap` is a gap still open (or the
   * reason no one could take over in time): the next holder heals it. `caughtUpAt` ends following.
   */
  async release(progress: FollowProgress, outcome: { gap?: string; caughtUpAt?: string }): Promise<FollowRecord> {
    const e = new Expr();
    const set = this.progress(e, progress);
    const remove = ['holder', 'holderLane', 'releaseAt', 'leaseUntil'].map((a) => e.name(a));
    if (outcome.gap) set.push(`${e.name('gap')} = ${e.value(s(outcome.gap))}`);
    else remove.push(e.name('gap'));
    if (outcome.caughtUpAt)
      set.push(`${e.name('caughtUpAt')} = ${e.value(s(outcome.caughtUpAt))}`, `${e.name('finished')} = ${e.value({ BOOL: true })}`);
    return this.update(e, `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`, this.holding(e));
  }

  /** Records a failure that stops the unit's followers (the report fails the run with it). */
  async fail(error: { name: string; message: string }): Promise<void> {
    const e = new Expr();
    await this.update(e, `SET ${e.name('error')} = ${e.value(s(error.message))}, ${e.name('errorType')} = ${e.value(s(error.name))}`);
  }

  private progress(e: Expr, p: FollowProgress): string[] {
    const set = [...COUNTERS, 'pending', 'lagMs'].map((c) => `${e.name(c)} = ${e.value(n(p[c as keyof FollowProgress] as number))}`);
    if (p.lastEventAt) set.push(`${e.name('lastEventAt')} = ${e.value(s(p.lastEventAt))}`);
    return set;
  }

  private holding(e: Expr): string {
    return `${e.name('holder')} = ${e.value(s(this.me))}`;
  }

  private key(): Item {
    return { pk: { S: this.migrationId }, sk: { S: `${FOLLOW_SK_PREFIX}${this.unitId}` } };
  }

  /** One UpdateItem: sets updatedAt, bumps the version (unless a holder write), returns the new item. */
  private async update(e: Expr, expression: string, condition?: string, bump = true): Promise<FollowRecord> {
    const [setPart, removePart] = expression.split(' REMOVE ');
    const extra = [`${e.name('updatedAt')} = ${e.value(s(new Date().toISOString()))}`];
    if (bump) extra.push(`${e.name('version')} = if_not_exists(${e.name('version')}, ${e.value(n(0))}) + ${e.value(n(1))}`);
    const update = `${setPart}, ${extra.join(', ')}${removePart ? ` REMOVE ${removePart}` : ''}`;
    const { Attributes } = await guarded(
      () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(),
            UpdateExpression: update,
            ...(condition ? { ConditionExpression: condition } : {}),
            ReturnValues: 'ALL_NEW',
            ...e.params(),
          }),
        ),
      () => `unit ${this.unitId}'s follower ${this.me} no longer holds it (another took over)`,
    );
    return recordFromItem(Attributes ?? {});
  }
}
