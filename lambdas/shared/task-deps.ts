import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoMigrationState, type MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import { NoSecretsError } from '../../src/cloud/cloud-errors.js';
import { type AnyCloudConfig, type CloudConfig, parseCloudConfig } from '../../src/cloud/execution-input.js';
import type { LambdaSettings } from '../../src/cloud/lambda-settings.js';
import { applySecrets, type SecretResolver } from '../../src/cloud/secret-refs.js';
import type { SliceMetrics } from '../../src/cloud/slice-metrics.js';
import { type MigrationConfig, parseConfig } from '../../src/core/config.js';
import { ConfigError, InternalError, MigrationError } from '../../src/core/errors.js';

/** What every task gets from its handler module: clients made once per container, settings, a logger. */
export interface TaskDeps {
  dynamo: DynamoDBClient;
  settings: LambdaSettings;
  resolveSecret: SecretResolver;
  log: TaskLog;
  /** The slice tasks' CloudWatch metrics (EMF on stdout); absent: none published. */
  metrics?: SliceMetrics;
}

/** Structured log lines; callers pass ids and counters only, never config values or payloads. */
export interface TaskLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface OpenedMigration {
  state: DynamoMigrationState;
  record: MigrationRecord;
  cloud: AnyCloudConfig;
}

/**
 * Renews `runId`'s hold on the migration and reads back the stored, secret-free config. With
 * `claim` (a new round's plan) a free or lapsed claim is taken; otherwise (copy, report) the run
 * must still hold it, so a straggler of a failed or replaced run stops with CheckpointConflictError.
 */
export async function openMigration(
  deps: TaskDeps,
  migrationId: string,
  runId: string,
  options: { claim?: boolean; round?: number } = {},
): Promise<OpenedMigration> {
  const state = new DynamoMigrationState(deps.dynamo, deps.settings.tableName, migrationId);
  const ttlMs = deps.settings.claimTtlMs;
  const record = options.claim
    ? await state.claim(runId, { ttlMs, ...(options.round !== undefined ? { round: options.round } : {}) })
    : await state.heartbeat(runId, ttlMs);
  if (!record.config)
    throw new MigrationError(`migration ${migrationId} has no stored config: start it again with its full execution input`);
  return { state, record, cloud: parseCloudConfig(record.config, 'stored config') };
}

/** The engine's config, with the passwords read from Secrets Manager (in memory only). */
export async function resolveConfig(cloud: AnyCloudConfig, resolveSecret: SecretResolver): Promise<MigrationConfig> {
  return parseConfig(await applySecrets(copyConfig(cloud).input, cloud.refs, resolveSecret), (path) => `config.${path}`);
}

/** A copy's cloud config; a restore's tasks branch off before this (restore-plan.ts, restore-slice.ts, restore-verify.ts). */
function copyConfig(cloud: AnyCloudConfig): CloudConfig {
  if (cloud.kind === 'copy') return cloud;
  throw new InternalError('a restore reached a copy-only path of a task: its config is read by resolveRestoreConfig');
}

/** Checks that the named fields of a task event are non-empty strings. */
export function requireStrings<K extends string>(event: unknown, task: string, keys: readonly K[]): Record<K, string> {
  const record = (event ?? {}) as Record<string, unknown>;
  const missing = keys.filter((k) => typeof record[k] !== 'string' || record[k] === '');
  if (missing.length > 0) throw new ConfigError(missing.map((k) => `${task} event: ${k} must be a non-empty string`));
  return record as Record<K, string>;
}

/** The resolver of a task that reads no secrets (report, record-failure): being asked is a bug, named. */
export function noSecrets(task: string): SecretResolver {
  return () => Promise.reject(new NoSecretsError(task));
}
