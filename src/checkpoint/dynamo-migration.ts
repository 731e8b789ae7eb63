import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { RdbFileIdentity, TargetUnitDescriptor } from '../core/contracts.js';
import { CheckpointConflictError, ConfigError } from '../core/errors.js';
import { conditionalUpdate, Expr, guarded, type Item, migrationKey, n, num, s, str, strList } from './dynamo-items.js';
import { TTL_ATTRIBUTE } from './table-keys.js';

export type MigrationStatus = 'running' | 'finished' | 'failed';

/** The migration item: the stored config, the committed plan, and which run may work on it. */
export interface MigrationRecord {
  migrationId: string;
  status?: MigrationStatus;
  /** The cloud config as started: secret ARNs, never passwords. */
  config?: Record<string, unknown>;
  /** Hash of what the copy is (source, target, filters): a resume must match it. */
  identity?: string;
  dryRun?: boolean;
  /** A reconcile run: copy what differs, delete what the source lacks (src/cloud/reconcile-run.ts). */
  reconcile?: boolean;
  /** The run allowed to copy now, and until when without a heartbeat (epoch ms). */
  activeRun?: string;
  claimExpiresAt?: number;
  heartbeatAt?: number;
  round?: number;
  planCreatedAt?: string;
  unitIds?: string[];
  /** The plan's target units (verify's extra-key check); absent in plans made before they existed. */
  targetUnits?: TargetUnitDescriptor[];
  /**
   * A restore's plan: the file it was made from (URI, size, ETag). On the item every slice already
   * reads to renew the claim, so a slice checks the object it opens without loading the plan.
   */
  rdb?: RdbFileIdentity;
  lastError?: string;
  lastErrorType?: string;
  summary?: unknown;
  /** The last verification's result (a MigrationVerifyResult), stored by the report task. */
  verify?: unknown;
  createdAt?: string;
  updatedAt?: string;
  finishedAt?: string;
}

export interface ClaimOptions {
  /** How long the claim holds without another heartbeat. */
  ttlMs: number;
  round?: number;
  /** The first round of a run stores its config; a resume must be the same copy. */
  start?: { config: Record<string, unknown>; identity: string; dryRun: boolean; reconcile?: boolean };
}

function recordFromItem(migrationId: string, item: Item): MigrationRecord {
  const json = (attribute: string) => {
    const text = str(item, attribute);
    return text === undefined ? undefined : JSON.parse(text);
  };
  const record: MigrationRecord = {
    migrationId,
    status: str(item, 'status') as MigrationStatus | undefined,
    config: json('config'),
    identity: str(item, 'identity'),
    dryRun: item.dryRun?.BOOL,
    reconcile: item.reconcile?.BOOL,
    activeRun: str(item, 'activeRun'),
    claimExpiresAt: num(item, 'claimExpiresAt'),
    heartbeatAt: num(item, 'heartbeatAt'),
    round: num(item, 'round'),
    planCreatedAt: str(item, 'planCreatedAt'),
    unitIds: strList(item, 'unitIds'),
    targetUnits: json('targetUnits'),
    rdb: json('rdb'),
    lastError: str(item, 'lastError'),
    lastErrorType: str(item, 'lastErrorType'),
    summary: json('summary'),
    verify: json('verify'),
    createdAt: str(item, 'createdAt'),
    updatedAt: str(item, 'updatedAt'),
    finishedAt: str(item, 'finishedAt'),
  };
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as unknown as MigrationRecord;
}

/**
 * The run-level half of the store. A run (one chain of executions: the first one and the rounds it
 * restarts as new) claims the migration before it plans or copies, and every copy invocation
 * renews the claim. A second run of the same migration finds the claim held and stops before
 * touching anything; a run that died leaves a claim that lapses after `ttlMs`.
 */
export class DynamoMigrationState {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    readonly migrationId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<MigrationRecord | undefined> {
    const { Item } = await guarded(
      () => this.client.send(new GetItemCommand({ TableName: this.tableName, Key: migrationKey(this.migrationId), ConsistentRead: true })),
      () => '',
    );
    return Item ? recordFromItem(this.migrationId, Item) : undefined;
  }

  /** Claims (or renews the claim on) the migration for `runId`; creates the item on first use. */
  async claim(runId: string, options: ClaimOptions): Promise<MigrationRecord> {
    const { start } = options;
    if (start) this.checkSameCopy(await this.load(), start);
    const now = this.now();
    const e = new Expr();
    const set = [
      `${e.name('activeRun')} = ${e.value(s(runId))}`,
      `${e.name('claimExpiresAt')} = ${e.value(n(now + options.ttlMs))}`,
      `${e.name('heartbeatAt')} = ${e.value(n(now))}`,
      `${e.name('status')} = ${e.value(s('running'))}`,
      `${e.name('updatedAt')} = ${e.value(s(new Date(now).toISOString()))}`,
      `${e.name('createdAt')} = if_not_exists(${e.name('createdAt')}, ${e.value(s(new Date(now).toISOString()))})`,
    ];
    if (options.round !== undefined) set.push(`${e.name('round')} = ${e.value(n(options.round))}`);
    const active = e.name('activeRun');
    let condition =
      `(attribute_not_exists(${active}) OR ${active} = ${e.value(s(runId))} OR ${e.name('claimExpiresAt')} ` + `< ${e.value(n(now))})`;
    if (start) {
      set.push(`${e.name('config')} = ${e.value(s(JSON.stringify(start.config)))}`);
      set.push(`${e.name('identity')} = ${e.value(s(start.identity))}`, `${e.name('dryRun')} = ${e.value({ BOOL: start.dryRun })}`);
      // Part of the identity already (an "r-" id), so a resume never changes it.
      if (start.reconcile) set.push(`${e.name('reconcile')} = ${e.value({ BOOL: true })}`);
      condition += ` AND (attribute_not_exists(${e.name('identity')}) OR ${e.name('identity')} = ${e.value(s(start.identity))})`;
    }
    try {
      const { Attributes } = await conditionalUpdate(this.client, this.tableName, migrationKey(this.migrationId), e, {
        // A restarted migration is live again: it must not age out under the TTL.
        UpdateExpression: `SET ${set.join(', ')} REMOVE ${e.name(TTL_ATTRIBUTE)}`,
        ConditionExpression: condition,
        ReturnValues: 'ALL_NEW',
      });
      return recordFromItem(this.migrationId, Attributes ?? {});
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      const current = await this.load();
      if (start) this.checkSameCopy(current, start);
      const holder = current?.activeRun ?? 'another run';
      const lapse = current?.claimExpiresAt ? new Date(current.claimExpiresAt).toISOString() : 'soon';
      throw new CheckpointConflictError(
        `migration ${this.migrationId} is being run by execution ${holder} (its claim lapses ` +
          `at ${lapse} if that run has stopped); not starting a second copy. Wait for it, or ` +
          `stop it and start again after that time`,
        { cause: error },
      );
    }
  }

  /**
   * Renews the claim of a run that holds it, and reads the migration back. Unlike claim(), never
   * takes a free or lapsed claim: a worker of a run that failed (and released it) or was replaced
   * must stop, not revive the run.
   */
  async heartbeat(runId: string, ttlMs: number): Promise<MigrationRecord> {
    const now = this.now();
    const e = new Expr();
    try {
      const { Attributes } = await conditionalUpdate(this.client, this.tableName, migrationKey(this.migrationId), e, {
        UpdateExpression:
          `SET ${e.name('claimExpiresAt')} = ${e.value(n(now + ttlMs))}, ${e.name('heartbeatAt')} ` + `= ${e.value(n(now))}`,
        ConditionExpression: `${e.name('activeRun')} = ${e.value(s(runId))}`,
        ReturnValues: 'ALL_NEW',
      });
      return recordFromItem(this.migrationId, Attributes ?? {});
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) throw error;
      const current = await this.load();
      const holder = current?.activeRun
        ? `it is held by execution ${current.activeRun}`
        : `it is ${current?.status ?? 'unknown'} and held by no run`;
      throw new CheckpointConflictError(`migration ${this.migrationId} is no longer held by run ${runId} (${holder}); this worker stops`, {
        cause: error,
      });
    }
  }

  /**
   * Marks the migration finished and releases the claim; `expiresAtSeconds` sets the TTL, `verify`
   * stores the verification's result in the same write.
   */
  async finish(runId: string, summary: unknown, expiresAtSeconds?: number, options: { verify?: unknown } = {}): Promise<void> {
    const now = new Date(this.now()).toISOString();
    const e = new Expr();
    const set = [
      `${e.name('status')} = ${e.value(s('finished'))}`,
      `${e.name('summary')} = ${e.value(s(JSON.stringify(summary)))}`,
      `${e.name('finishedAt')} = ${e.value(s(now))}`,
      `${e.name('updatedAt')} = ${e.value(s(now))}`,
    ];
    if (options.verify !== undefined) set.push(`${e.name('verify')} = ${e.value(s(JSON.stringify(options.verify)))}`);
    if (expiresAtSeconds !== undefined) set.push(`${e.name(TTL_ATTRIBUTE)} = ${e.value(n(expiresAtSeconds))}`);
    await conditionalUpdate(
      this.client,
      this.tableName,
      migrationKey(this.migrationId),
      e,
      {
        UpdateExpression:
          `SET ${set.join(', ')} REMOVE ${e.name('activeRun')}, ${e.name('claimExpiresAt')}, ` +
          `${e.name('lastError')}, ${e.name('lastErrorType')}`,
        ConditionExpression: `${e.name('activeRun')} = ${e.value(s(runId))}`,
      },
      () => `migration ${this.migrationId} is no longer claimed by run ${runId}; another run took it over`,
    );
  }

  /**
   * Records the failure and releases the claim, if `runId` still holds it; returns whether it did.
   * `verify` stores a failed verification's result in the same write.
   */
  async fail(runId: string, failure: { error: string; message: string }, options: { verify?: unknown } = {}): Promise<boolean> {
    const now = new Date(this.now()).toISOString();
    const e = new Expr();
    const verify = options.verify !== undefined ? `, ${e.name('verify')} = ${e.value(s(JSON.stringify(options.verify)))}` : '';
    try {
      await conditionalUpdate(this.client, this.tableName, migrationKey(this.migrationId), e, {
        UpdateExpression:
          `SET ${e.name('status')} = ${e.value(s('failed'))}, ` +
          `${e.name('lastError')} = ${e.value(s(failure.message))}, ${e.name('lastErrorType')} ` +
          `= ${e.value(s(failure.error))}, ${e.name('updatedAt')} = ${e.value(s(now))}${verify} ` +
          `REMOVE ${e.name('activeRun')}, ${e.name('claimExpiresAt')}`,
        ConditionExpression: `${e.name('activeRun')} = ${e.value(s(runId))}`,
      });
      return true;
    } catch (error) {
      if (error instanceof CheckpointConflictError) return false;
      throw error;
    }
  }

  private checkSameCopy(current: MigrationRecord | undefined, start: NonNullable<ClaimOptions['start']>): void {
    if (current?.identity && current.identity !== start.identity) {
      throw new ConfigError([
        `migration ${this.migrationId} was started for a different source, target or key ` +
          `selection (identity ${current.identity}, this input ${start.identity}); give this ` +
          `copy another migrationId`,
      ]);
    }
    if (current?.dryRun !== undefined && current.dryRun !== start.dryRun) {
      throw new ConfigError([
        `migration ${this.migrationId} was ${current.dryRun ? 'a dry run' : 'a real copy'}; ` +
          `a ${start.dryRun ? 'dry run' : 'real copy'} needs another migrationId (a dry run's ` +
          `"done" units would otherwise be skipped)`,
      ]);
    }
  }
}
