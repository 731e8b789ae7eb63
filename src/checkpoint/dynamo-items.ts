import { type AttributeValue, type DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type UnitCheckpoint, type UnitCounters, type UnitDescriptor, type UnitStatus, ZERO_COUNTERS } from '../core/contracts.js';
import { CheckpointConflictError, MigrationError } from '../core/errors.js';

/**
 * The table layout (see docs/serverless.md): one partition per migration.
 *
 *   pk = <migrationId>   sk = "migration"      config (secret-free), plan, run claim, status, summary
 *   pk = <migrationId>   sk = "unit#<unitId>"  descriptor, cursor, counters, version, lease
 *
 * Everything a worker needs is one GetItem or one Query away, and every write names its item.
 */

export type Item = Record<string, AttributeValue>;

export const MIGRATION_SK = 'migration';
export const UNIT_SK_PREFIX = 'unit#';

export function migrationKey(migrationId: string): Item {
  return { pk: { S: migrationId }, sk: { S: MIGRATION_SK } };
}

export function unitKey(migrationId: string, unitId: string): Item {
  return { pk: { S: migrationId }, sk: { S: `${UNIT_SK_PREFIX}${unitId}` } };
}

/**
 * Builds expression attribute names and values: every attribute goes through a `#name`
 * (DynamoDB reserves words like STATUS and CURSOR) and every value through a `:v<n>`.
 */
export class Expr {
  readonly names: Record<string, string> = {};
  readonly values: Item = {};
  private count = 0;

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: AttributeValue): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  /** The parameters for a request; DynamoDB rejects an empty ExpressionAttributeValues map. */
  params(): { ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues?: Item } {
    return { ExpressionAttributeNames: this.names, ...(this.count > 0 ? { ExpressionAttributeValues: this.values } : {}) };
  }
}

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });

export function str(item: Item, attribute: string): string | undefined {
  return item[attribute]?.S;
}

/**
 * A string attribute every item of its kind has. A missing one means the item was not written by
 * redis-ferry (or was edited by hand): say which item and what to do, rather than fail on `undefined`.
 */
export function requiredStr(item: Item, attribute: string): string {
  const value = str(item, attribute);
  if (value === undefined) throw malformedItem(item, `has no string "${attribute}"`);
  return value;
}

/** A list attribute whose elements are all strings (e.g. a plan's unit ids). */
export function strList(item: Item, attribute: string): string[] | undefined {
  return item[attribute]?.L?.map((v) => {
    if (v.S === undefined) throw malformedItem(item, `has a non-string element in "${attribute}"`);
    return v.S;
  });
}

function malformedItem(item: Item, what: string): MigrationError {
  return new MigrationError(
    `checkpoint item ${str(item, 'pk') ?? '?'} / ${str(item, 'sk') ?? '?'} ${what}: it was not written by this version of ` +
      'redis-ferry, or was edited; start the migration under a new id (--migration-id), or delete its items',
  );
}

export function num(item: Item, attribute: string): number | undefined {
  const v = item[attribute]?.N;
  return v === undefined ? undefined : Number(v);
}

export function countersToAttribute(counters: UnitCounters): AttributeValue {
  const m: Item = {};
  for (const [k, v] of Object.entries(counters)) m[k] = n(v);
  return { M: m };
}

export function countersFromAttribute(value: AttributeValue | undefined): UnitCounters {
  const out = { ...ZERO_COUNTERS };
  for (const [k, v] of Object.entries(value?.M ?? {})) if (v.N !== undefined) (out as Record<string, number>)[k] = Number(v.N);
  return out;
}

/** Who holds a unit: the worker (owner) and the run it belongs to, until `expiresAt` (epoch ms). */
export interface UnitLease {
  owner: string;
  runId: string;
  expiresAt: number;
}

/** A unit item as stored: its checkpoint plus what only the cloud keeps (descriptor, lease). */
export interface StoredUnit {
  checkpoint: UnitCheckpoint;
  descriptor?: UnitDescriptor;
  lease?: UnitLease;
  /** Error name recorded with a failure (the checkpoint's `error` holds the message). */
  errorType?: string;
  /** The run that recorded the failure. */
  errorRun?: string;
}

/**
 * Checkpoint fields with an attribute of their own; any other field the engine adds to
 * UnitCheckpoint (scanNode, rescanReason, …) travels in the `extra` JSON attribute, so the store
 * keeps what the engine keeps without knowing every field.
 */
const MAPPED_FIELDS = new Set(['unitId', 'status', 'cursor', 'writeFrontier', 'counters', 'version', 'owner', 'error', 'updatedAt']);

/** The checkpoint fields that have no attribute of their own, as JSON (undefined when none). */
export function extraFields(checkpoint: UnitCheckpoint): string | undefined {
  const extra = Object.fromEntries(Object.entries(checkpoint).filter(([k, v]) => !MAPPED_FIELDS.has(k) && v !== undefined));
  return Object.keys(extra).length > 0 ? JSON.stringify(extra) : undefined;
}

export function unitFromItem(item: Item): StoredUnit {
  const unitId = requiredStr(item, 'sk').slice(UNIT_SK_PREFIX.length);
  const descriptorJson = str(item, 'descriptor');
  const owner = str(item, 'leaseOwner');
  const extra = str(item, 'extra');
  const checkpoint: UnitCheckpoint = {
    ...(extra ? (JSON.parse(extra) as Partial<UnitCheckpoint>) : {}),
    unitId,
    status: (str(item, 'status') ?? 'pending') as UnitStatus,
    cursor: str(item, 'cursor') ?? '0',
    writeFrontier: str(item, 'writeFrontier') ?? null,
    counters: countersFromAttribute(item.counters),
    version: num(item, 'version') ?? 0,
    ...(owner ? { owner } : {}),
    ...(str(item, 'error') !== undefined ? { error: str(item, 'error') } : {}),
    updatedAt: str(item, 'updatedAt') ?? new Date(0).toISOString(),
  };
  return {
    checkpoint,
    ...(descriptorJson ? { descriptor: JSON.parse(descriptorJson) as UnitDescriptor } : {}),
    ...(owner ? { lease: { owner, runId: str(item, 'leaseRun') ?? '', expiresAt: num(item, 'leaseExpiresAt') ?? 0 } } : {}),
    ...(str(item, 'errorType') ? { errorType: str(item, 'errorType') } : {}),
    ...(str(item, 'errorRun') ? { errorRun: str(item, 'errorRun') } : {}),
  };
}

/** Runs `fn` over `items`, `limit` at a time: many small writes without a burst against the table. */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}

/**
 * A failed condition becomes CheckpointConflictError (with `conflictMessage`), a throttled or
 * unavailable service a retryable MigrationError; anything else is returned unchanged.
 */
export function translateDynamoError(error: unknown, conflictMessage: string): unknown {
  if (isConditionalCheckFailed(error)) return new CheckpointConflictError(conflictMessage, { cause: error });
  const name = (error as Error)?.name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
  if (/Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable/.test(name) || status >= 500) {
    return new MigrationError(`checkpoint table unavailable (${name}): ${(error as Error).message}`, { cause: error, retryable: true });
  }
  return error;
}

/** Runs one DynamoDB call with its errors translated (see translateDynamoError). */
export async function guarded<T>(call: () => Promise<T>, conflictMessage: () => string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateDynamoError(error, isConditionalCheckFailed(error) ? conflictMessage() : '');
  }
}

/**
 * One conditional UpdateItem on `key`, its names and values taken from `e` (build the expressions
 * first); a failed condition is a CheckpointConflictError with `conflictMessage()` (see guarded).
 */
export function conditionalUpdate(
  client: DynamoDBClient,
  tableName: string,
  key: Item,
  e: Expr,
  update: { UpdateExpression: string; ConditionExpression: string; ReturnValues?: 'ALL_NEW' },
  conflictMessage: () => string = () => '',
): Promise<{ Attributes?: Item }> {
  return guarded(() => client.send(new UpdateItemCommand({ TableName: tableName, Key: key, ...update, ...e.params() })), conflictMessage);
}

/** Every item of partition `pk` whose sort key starts with `skPrefix` (consistent reads, all pages). */
export async function queryPrefix(client: DynamoDBClient, tableName: string, pk: string, skPrefix: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const e = new Expr();
    const page = await guarded(
      () =>
        client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: `${e.name('pk')} = ${e.value(s(pk))} AND begins_with(${e.name('sk')}, ${e.value(s(skPrefix))})`,
            ConsistentRead: true,
            ExclusiveStartKey: start,
            ...e.params(),
          }),
        ),
      () => '',
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
