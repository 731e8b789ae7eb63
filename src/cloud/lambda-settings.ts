import { LambdaSettingsError } from './cloud-errors.js';
import { LAMBDA_ENV } from './deploy-names.js';

/**
 * The environment the Lambda functions read (once per container), set by the CDK construct. The
 * variable names live in deploy-names.ts, which the construct that writes them loads too.
 */

export interface LambdaSettings {
  /** The checkpoint table. */
  tableName: string;
  /** How long a run's claim on a migration holds without a heartbeat. */
  claimTtlMs: number;
  /** How long a unit stays leased to the worker after each checkpoint it writes. */
  leaseMs: number;
  /** Time a copy invocation keeps free before its timeout (for the batch in hand and the last save). */
  safetyMarginMs: number;
  /** Optional cap on each copy invocation's copying time. */
  timeBudgetMs?: number;
  /** Optional cap on each verify invocation's comparing time. */
  verifyTimeBudgetMs?: number;
  /** The Map's concurrency: the rate limit is split across this many units at once. */
  maxConcurrency: number;
  /** Days finished checkpoints are kept (DynamoDB TTL); 0 keeps them forever. */
  retentionDays: number;
  /** How long a secret read from Secrets Manager is reused by a warm container. */
  secretCacheTtlMs: number;
  /** Where RDB snapshots are read from when not AWS S3: an S3-compatible endpoint (path-style). */
  rdbS3Endpoint?: string;
  /** Optional cap on how long a follower invocation holds its unit before handing over. */
  followTimeBudgetMs?: number;
  /** How early the next follower invocation subscribes before the holder hands over. */
  followLeadMs: number;
  /** How often a holding follower renews its lease, stores its progress and reads the cutover flag. */
  followTickMs: number;
}

export const DEFAULT_LAMBDA_SETTINGS: Omit<LambdaSettings, 'tableName'> = {
  claimTtlMs: 30 * 60_000,
  leaseMs: 16 * 60_000,
  safetyMarginMs: 60_000,
  maxConcurrency: 8,
  retentionDays: 30,
  secretCacheTtlMs: 15 * 60_000,
  followLeadMs: 60_000,
  followTickMs: 2_000,
};

/** Reads the settings; a missing table or a malformed number is a deployment error, named here. */
export function readLambdaSettings(env: NodeJS.ProcessEnv): LambdaSettings {
  const problems: string[] = [];
  const number = (key: keyof typeof LAMBDA_ENV, fallback: number | undefined): number | undefined => {
    const raw = env[LAMBDA_ENV[key]];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) problems.push(`${LAMBDA_ENV[key]}=${JSON.stringify(raw)} must be a number >= 0`);
    return value;
  };
  const tableName = env[LAMBDA_ENV.tableName];
  if (!tableName) problems.push(`${LAMBDA_ENV.tableName} is not set`);
  const d = DEFAULT_LAMBDA_SETTINGS;
  const settings: LambdaSettings = {
    tableName: tableName ?? '',
    claimTtlMs: number('claimTtlMs', d.claimTtlMs)!,
    leaseMs: number('leaseMs', d.leaseMs)!,
    safetyMarginMs: number('safetyMarginMs', d.safetyMarginMs)!,
    timeBudgetMs: number('timeBudgetMs', undefined),
    verifyTimeBudgetMs: number('verifyTimeBudgetMs', undefined),
    maxConcurrency: Math.max(1, number('maxConcurrency', d.maxConcurrency)!),
    retentionDays: number('retentionDays', d.retentionDays)!,
    secretCacheTtlMs: number('secretCacheTtlMs', d.secretCacheTtlMs)!,
    ...(env[LAMBDA_ENV.rdbS3Endpoint] ? { rdbS3Endpoint: env[LAMBDA_ENV.rdbS3Endpoint] } : {}),
    followTimeBudgetMs: number('followTimeBudgetMs', undefined),
    followLeadMs: number('followLeadMs', d.followLeadMs)!,
    followTickMs: Math.max(10, number('followTickMs', d.followTickMs)!),
  };
  if (problems.length > 0) throw new LambdaSettingsError(problems);
  return settings;
}
