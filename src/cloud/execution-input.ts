import { z } from 'zod';
import { type MigrationConfig, type MigrationConfigInput, parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';
import { defaultRestoreId, type RestoreConfig } from '../core/restore-config.js';
import { scheduledMigrationId } from './execution-names.js';
import { checkReconcile, runIdentity } from './reconcile-run.js';
import { parseRestoreCloudConfig, type RestoreCloudConfig } from './restore-input.js';
import { isSecretArn, type SecretRefs, takeSecretRefs } from './secret-refs.js';

/**
 * The execution input of the state machine, and the secret-free "cloud config" inside it.
 *
 *   { "migrationId"?: "orders-copy",            // default: derived from the config (or the schedule)
 *     "config": { "source": { "addresses": ["10.0.0.5:6379"], "passwordSecretArn": "arn:…" },
 *                 "target": { "addresses": ["10.0.1.7:6379"], "passwordSecretArn": "arn:…" }, … } }
 *
 * `config` is a MigrationConfigInput (src/core/config.ts) in which every `password` is replaced by
 * `passwordSecretArn` (and `sentinelPassword` by `sentinelPasswordSecretArn`). A scheduled start adds
 * `scheduledTime` (and optionally `migrationIdPrefix`); later rounds of a run carry only
 * `{ migrationId, runId, round }` and read the config back from the migration item.
 */

const migrationId = z.string().refine(isValidMigrationId, 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');
/** Step Functions adds this to the input of an execution started by another one. */
const startedBy = z.string().optional();

const startSchema = z.strictObject({
  migrationId: migrationId.optional(),
  migrationIdPrefix: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,46}$/, 'use 1-47 letters, digits, ".", "_" or "-" (the schedule time is appended)')
    .optional(),
  scheduledTime: z.string().min(1).optional(),
  /** A reconcile pass instead of a copy: write only what differs, delete what the source lacks (reconcile-run.ts). */
  reconcile: z.boolean().optional(),
  config: z.record(z.string(), z.unknown(), {
    message: 'is required: the migration config, with passwordSecretArn in place of each password',
  }),
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: startedBy,
});

const continueSchema = z.strictObject({
  migrationId,
  runId: z.string().min(1).max(80),
  round: z.number().int().min(1),
  AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: startedBy,
});

export type StartInput = z.infer<typeof startSchema> & { kind: 'start' };
export type ContinueInput = z.infer<typeof continueSchema> & { kind: 'continue' };
export type ExecutionInput = StartInput | ContinueInput;

/** What a user (or a schedule) passes to StartExecution. */
export interface StartExecutionInput {
  migrationId?: string;
  migrationIdPrefix?: string;
  scheduledTime?: string;
  /** A reconcile pass into a populated target instead of a copy (see reconcile-run.ts). */
  reconcile?: boolean;
  config: Record<string, unknown>;
}

function issuesToProblems(where: string, issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${path}: unknown field(s) ${issue.keys.join(', ')}`;
    return `${path}: ${issue.message}`;
  });
}

/** Validates the raw execution input; a later round is recognised by its `runId`. */
export function parseExecutionInput(raw: unknown): ExecutionInput {
  if (raw && typeof raw === 'object' && 'runId' in raw) {
    const parsed = continueSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(issuesToProblems('input', parsed.error.issues));
    return { ...parsed.data, kind: 'continue' };
  }
  const parsed = startSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(issuesToProblems('input', parsed.error.issues));
  if (parsed.data.migrationId && parsed.data.scheduledTime) {
    throw new ConfigError(['input: give either migrationId or scheduledTime (a schedule derives a new id per run), not both']);
  }
  return { ...parsed.data, kind: 'start' };
}

/** A validated cloud config, split into the stored (ARN-bearing, secret-free) form and its parts. */
export interface CloudConfig {
  kind: 'copy';
  /** As given, with ARNs and without passwords: what the migration item keeps. */
  stored: Record<string, unknown>;
  /** The config without any secret refs: parseConfig's input once secrets are applied. */
  input: MigrationConfigInput;
  refs: SecretRefs;
  /** Validated without passwords: enough for ids, identity and planning messages. */
  config: MigrationConfig;
}

/** Either a copy between two Redis deployments, or a restore of an RDB snapshot in S3 (restore-input.ts). */
export type AnyCloudConfig = CloudConfig | RestoreCloudConfig;

/**
 * Checks a cloud config: passwords must be secret ARNs, no local file paths (a Lambda has none),
 * and everything else as parseConfig (or, with `rdb`, parseRestoreConfig) demands. All problems are
 * reported at once.
 */
export function parseCloudConfig(raw: unknown, where = 'config'): AnyCloudConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError([`${where}: must be an object`]);
  if ('rdb' in raw) return parseRestoreCloudConfig(raw as Record<string, unknown>, where);
  const stored = structuredClone(raw) as Record<string, unknown>;
  const input = structuredClone(raw) as Record<string, unknown>;
  const { refs, problems } = takeSecretRefs(input, where);

  let config: MigrationConfig | undefined;
  try {
    config = parseConfig(input, (path) => `${where}.${path}`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (config?.follow.enabled && config.follow.configSet) {
    problems.push(
      `${where}.follow.configSet: the workflow does not change the source's configuration; set ` +
        'notify-keyspace-events in its parameter group (docs/serverless.md, "Follow phase") and leave configSet out',
    );
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return { kind: 'copy', stored, input: input as MigrationConfigInput, refs, config };
}

/**
 * What the plan task will check of a scheduled start's config (and, in reconcile mode, of the
 * reconcile rules), so `cdk synth` reports it instead of the schedule's first run.
 */
export function checkScheduledConfig(config: unknown, reconcile: boolean, where: string): void {
  const cloud = parseCloudConfig(config, `${where}.input.config`);
  if (reconcile) checkReconcileOf(cloud, `${where}.mode "reconcile"`);
}

/** A reconcile pass needs a live source: a restore has none to compare with. */
function checkReconcileOf(cloud: AnyCloudConfig, field: string): void {
  if (cloud.kind === 'restore') throw new ConfigError([`${field}: a restore reads a snapshot, not a live source; drop reconcile`]);
  checkReconcile(cloud.config, field);
}

/** The migration id a start input names, or derives: from the schedule time, else from the config. */
export function resolveMigrationId(input: StartInput, cloud: AnyCloudConfig): string {
  if (input.migrationId) return input.migrationId;
  if (input.scheduledTime) return scheduledMigrationId(input.migrationIdPrefix ?? 'scheduled', input.scheduledTime);
  return cloud.kind === 'restore' ? defaultRestoreId(cloud.config) : runIdentity(cloud.config, input.reconcile === true);
}

/**
 * What the Plan task checks of a new run's input once its shape is valid: the cloud config, then
 * the migration id the run will use. `redis-ferry rehearse` calls the same, for the same error.
 */
export function checkStartInput(input: StartInput): { cloud: AnyCloudConfig; migrationId: string } {
  const cloud = parseCloudConfig(input.config, 'input.config');
  if (input.reconcile) checkReconcileOf(cloud, 'input.reconcile');
  return { cloud, migrationId: resolveMigrationId(input, cloud) };
}

/**
 * Turns a locally loaded config (a redis-shake file where each password is a secret ARN) into an
 * execution input. A password that is not an ARN is refused: it would land in the execution history.
 */
export function toExecutionInput(config: MigrationConfig, migrationId?: string): StartExecutionInput {
  const problems: string[] = [];
  const out = structuredClone(config) as unknown as Record<string, Record<string, unknown>>;
  for (const side of ['source', 'target'] as const) toCloudEndpoint(side, out[side]!, problems);
  return checkedInput(out, problems, migrationId);
}

/**
 * The same for a redis-shake restore config ([rdb_reader] or type = "restore"): the snapshot must
 * be an S3 object (the Lambda functions have no local files), named as the state machine takes it
 * (`rdb.s3Uri`), and the target's password a secret ARN.
 */
export function toRestoreExecutionInput(config: RestoreConfig, migrationId?: string): StartExecutionInput {
  const problems: string[] = [];
  const { rdb, ...rest } = structuredClone(config);
  if (!rdb.uri.startsWith('s3://'))
    problems.push(
      `rdb_reader filepath ${JSON.stringify(rdb.uri)}: the Lambda functions have no local files; ` +
        'upload the snapshot to S3 and give its s3://bucket/key (or restore it here with redis-ferry restore)',
    );
  const out = { ...rest, rdb: { s3Uri: rdb.uri } } as unknown as Record<string, Record<string, unknown>>;
  toCloudEndpoint('target', out.target!, problems);
  return checkedInput(out, problems, migrationId);
}

/** An endpoint's passwords as secret ARN fields (a plaintext one is a problem); no CA file. */
function toCloudEndpoint(side: 'source' | 'target', ep: Record<string, unknown>, problems: string[]): void {
  for (const [plain, refKey, name] of [
    ['password', 'passwordSecretArn', 'password'],
    ['sentinelPassword', 'sentinelPasswordSecretArn', 'sentinel_password'],
  ] as const) {
    const value = ep[plain];
    delete ep[plain];
    if (value === undefined || value === '') continue;
    if (isSecretArn(value)) ep[refKey] = value;
    else
      problems.push(
        `${side} ${name}: in the cloud a password must be a Secrets Manager secret ARN (password ` +
          `= "arn:aws:secretsmanager:…"), never the password itself: it would be stored in ` +
          `the execution history`,
      );
  }
  const tls = ep.tls as Record<string, unknown>;
  if (tls.caFile !== undefined)
    problems.push(`${side} tls_ca_file: the Lambda functions have no local files; remove it to trust the public CAs`);
}

function checkedInput(config: Record<string, unknown>, problems: string[], migrationId?: string): StartExecutionInput {
  if (problems.length > 0) throw new ConfigError(problems);
  const input: StartExecutionInput = { ...(migrationId ? { migrationId } : {}), config };
  parseCloudConfig(input.config); // the Lambda will check the same; fail here first
  return input;
}
