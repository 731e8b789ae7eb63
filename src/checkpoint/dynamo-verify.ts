import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CheckpointConflictError } from '../core/errors.js';
import { emptyReport, type VerifyLevel, type VerifyReport } from '../core/verify-report.js';
import {
  Expr,
  forEachLimited,
  guarded,
  type Item,
  isConditionalCheckFailed,
  n,
  num,
  queryPrefix,
  requiredStr,
  s,
  str,
  translateDynamoError,
} from './dynamo-items.js';
import { TTL_ATTRIBUTE } from './table-keys.js';

/**
 * Verification progress of one unit, beside its copy checkpoint:
 *
 *   pk = <migrationId>   sk = "verify#<unitId>"   runId, level, cursor, scanNode, done, report (JSON), version, owner
 *
 * Progress belongs to one run: every round of the run resumes it, and a new run (a restart) starts
 * the unit's verification over, since the target may have changed in between.
 */
export const VERIFY_SK_PREFIX = 'verify#';

export interface VerifyProgress {
  unitId: string;
  /** The run whose verification this is. */
  runId: string;
  level: VerifyLevel;
  /** Next SCAN cursor, as a string (it can exceed 2^53); '0' and not done: not started. */
  cursor: string;
  done: boolean;
  /** What the unit's walk found so far (examples capped by the verifier). */
  report: VerifyReport;
  /** The node process `cursor` belongs to, where the walk tracks it (a target unit's extra-key check). */
  scanNode?: string;
  version: number;
  /** The invocation that took the unit last. */
  owner?: string;
  /** When this run's verification of the unit started. */
  startedAt: string;
  updatedAt: string;
  /** A failure recorded by the failure task: message, error name, and the run that recorded it. */
  error?: string;
  errorType?: string;
  errorRun?: string;
}

export interface DynamoVerifyOptions {
  /** The run verifying (the first execution's name). */
  runId: string;
  /** This worker, e.g. "<run>/<Lambda request id>". */
  owner: string;
  now?: () => number;
}

/** Attempts at a read-then-conditional-write before giving up on an item that keeps changing. */
const RACE_ATTEMPTS = 5;

function verifyKey(migrationId: string, unitId: string): Item {
  return { pk: s(migrationId), sk: s(`${VERIFY_SK_PREFIX}${unitId}`) };
}

function progressFromItem(item: Item): VerifyProgress {
  const level = (str(item, 'level') ?? 'quick') as VerifyLevel;
  const reportJson = str(item, 'report');
  const optional = (attribute: 'owner' | 'error' | 'errorType' | 'errorRun' | 'scanNode') =>
    str(item, attribute) !== undefined ? { [attribute]: str(item, attribute) } : {};
  return {
    unitId: requiredStr(item, 'sk').slice(VERIFY_SK_PREFIX.length),
    runId: str(item, 'runId') ?? '',
    level,
    cursor: str(item, 'cursor') ?? '0',
    done: item.done?.BOOL ?? false,
    report: reportJson ? (JSON.parse(reportJson) as VerifyReport) : emptyReport(level),
    version: num(item, 'version') ?? 0,
    startedAt: str(item, 'startedAt') ?? new Date(0).toISOString(),
    updatedAt: str(item, 'updatedAt') ?? new Date(0).toISOString(),
    ...optional('owner'),
    ...optional('scanNode'),
    ...optional('error'),
    ...optional('errorType'),
    ...optional('errorRun'),
  };
}

/** True when `progress` is a finished verification of this run at this level. */
export function isVerified(progress: VerifyProgress | undefined, runId: string, level: VerifyLevel): boolean {
  return progress?.done === true && progress.runId === runId && progress.level === level;
}

/**
 * The verify-progress items of one migration. Each write is one UpdateItem conditional on the
 * version read: `acquire` bumps it, so an invocation Step Functions gave up on (but still running)
 * fails its next save with CheckpointConflictError instead of overwriting the newer one's progress.
 * Runs exclude each other through the migration's run claim, which the verify task renews.
 */
export class DynamoVerifyProgress {
  readonly runId: string;
  readonly owner: string;
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    readonly migrationId: string,
    options: DynamoVerifyOptions,
  ) {
    this.runId = options.runId;
    this.owner = options.owner;
    this.now = options.now ?? Date.now;
  }

  async load(unitId: string): Promise<VerifyProgress | undefined> {
    const { Item } = await guarded(
      () =>
        this.client.send(new GetItemCommand({ TableName: this.tableName, Key: verifyKey(this.migrationId, unitId), ConsistentRead: true })),
      () => '',
    );
    return Item ? progressFromItem(Item) : undefined;
  }

  /** Every verify-progress item of the migration (one consistent Query, paginated). */
  async list(): Promise<VerifyProgress[]> {
    return (await queryPrefix(this.client, this.tableName, this.migrationId, VERIFY_SK_PREFIX)).map(progressFromItem);
  }

  /**
   * Takes the unit's verification for this worker and returns where it stands. Progress of another
   * run or level is replaced by a fresh start; a finished verification of this run is returned as
   * is (nothing to do). The version bump fences out any earlier invocation.
   */
  async acquire(unitId: string, level: VerifyLevel): Promise<VerifyProgress> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const stored = await this.load(unitId);
      if (stored && isVerified(stored, this.runId, level)) return stored;
      const nowIso = new Date(this.now()).toISOString();
      const fresh = !stored || stored.runId !== this.runId || stored.level !== level;
      const base: VerifyProgress = fresh
        ? {
            unitId,
            runId: this.runId,
            level,
            cursor: '0',
            done: false,
            report: emptyReport(level),
            version: stored?.version ?? 0,
            startedAt: nowIso,
            updatedAt: nowIso,
          }
        : stored;
      const next: VerifyProgress = { ...base, version: base.version + 1, owner: this.owner, updatedAt: nowIso };
      try {
        await this.write(next, stored?.version, fresh);
        return next;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw translateDynamoError(error, '');
        // Another invocation wrote in between: read again and decide again.
      }
    }
    throw new CheckpointConflictError(
      `verification of unit ${unitId} of migration ${this.migrationId} kept changing while ` +
        `this worker tried to take it over; this worker stops`,
    );
  }

  /** Saves progress taken by acquire() (or returned by the last save); returns the new version. */
  async save(progress: VerifyProgress): Promise<VerifyProgress> {
    const next: VerifyProgress = { ...progress, version: progress.version + 1, updatedAt: new Date(this.now()).toISOString() };
    try {
      await this.write(next, progress.version, false);
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw translateDynamoError(error, '');
      const stored = await this.load(progress.unitId).catch(() => undefined);
      throw new CheckpointConflictError(
        `verification of unit ${progress.unitId} of migration ${this.migrationId} was taken ` +
          `over (stored version ${stored?.version ?? 'none'}${stored?.owner ? `, by ${stored.owner}` : ''}; ` +
          `this worker expected ${progress.version}); this worker stops`,
        { cause: error },
      );
    }
    return next;
  }

  /**
   * Records a failure on the unit's verification (for the run's failure report), unless it is
   * finished. Returns whether it did.
   */
  async recordFailure(unitId: string, failure: { error: string; message: string }): Promise<boolean> {
    for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
      const stored = await this.load(unitId);
      if (stored && isVerified(stored, this.runId, stored.level)) return false;
      const e = new Expr();
      const set = [
        `${e.name('error')} = ${e.value(s(failure.message))}`,
        `${e.name('errorType')} = ${e.value(s(failure.error))}`,
        `${e.name('errorRun')} = ${e.value(s(this.runId))}`,
        `${e.name('version')} = ${e.value(n((stored?.version ?? 0) + 1))}`,
        `${e.name('updatedAt')} = ${e.value(s(new Date(this.now()).toISOString()))}`,
      ];
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: verifyKey(this.migrationId, unitId),
            UpdateExpression: `SET ${set.join(', ')}`,
            ConditionExpression: versionCondition(e, stored?.version),
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

  /** Sets the TTL attribute (epoch seconds) on the given units' items that exist. */
  async expire(unitIds: string[], expiresAtSeconds: number): Promise<void> {
    await forEachLimited(unitIds, 8, async (unitId) => {
      const e = new Expr();
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: verifyKey(this.migrationId, unitId),
            UpdateExpression: `SET ${e.name(TTL_ATTRIBUTE)} = ${e.value(n(expiresAtSeconds))}`,
            ConditionExpression: `attribute_exists(${e.name('pk')})`,
            ...e.params(),
          }),
        );
      } catch (error) {
        // No verification of this unit (verify = none, or a dry run): nothing to expire.
        if (!isConditionalCheckFailed(error)) throw translateDynamoError(error, '');
      }
    });
  }

  /** One conditional write of the whole progress; a fresh start also clears an old failure. */
  private async write(progress: VerifyProgress, expectedVersion: number | undefined, fresh: boolean): Promise<void> {
    const e = new Expr();
    const set = [
      `${e.name('runId')} = ${e.value(s(progress.runId))}`,
      `${e.name('level')} = ${e.value(s(progress.level))}`,
      `${e.name('cursor')} = ${e.value(s(progress.cursor))}`,
      `${e.name('done')} = ${e.value({ BOOL: progress.done })}`,
      `${e.name('report')} = ${e.value(s(JSON.stringify(progress.report)))}`,
      `${e.name('version')} = ${e.value(n(progress.version))}`,
      `${e.name('startedAt')} = ${e.value(s(progress.startedAt))}`,
      `${e.name('updatedAt')} = ${e.value(s(progress.updatedAt))}`,
    ];
    if (progress.owner) set.push(`${e.name('owner')} = ${e.value(s(progress.owner))}`);
    const remove = fresh ? [e.name('error'), e.name('errorType'), e.name('errorRun'), e.name(TTL_ATTRIBUTE)] : [];
    if (progress.scanNode) set.push(`${e.name('scanNode')} = ${e.value(s(progress.scanNode))}`);
    else remove.push(e.name('scanNode'));
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: verifyKey(this.migrationId, progress.unitId),
        UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: versionCondition(e, expectedVersion),
        ...e.params(),
      }),
    );
  }
}

function versionCondition(e: Expr, version: number | undefined): string {
  const v = e.name('version');
  return version === undefined ? `attribute_not_exists(${e.name('pk')})` : `${v} = ${e.value(n(version))}`;
}
