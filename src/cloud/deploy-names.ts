/**
 * Names the CDK app (infra/) and the Lambda handlers must agree on: the environment the construct
 * sets and the handlers read, and the error names the state machine matches. Constants only, so
 * the CDK app can load them without loading any runtime code.
 */

/** The environment variables of the Lambda functions (read in lambda-settings.ts). */
export const LAMBDA_ENV = {
  tableName: 'TABLE_NAME',
  claimTtlMs: 'CLAIM_TTL_MS',
  leaseMs: 'LEASE_MS',
  safetyMarginMs: 'COPY_SAFETY_MARGIN_MS',
  timeBudgetMs: 'COPY_TIME_BUDGET_MS',
  verifyTimeBudgetMs: 'VERIFY_TIME_BUDGET_MS',
  maxConcurrency: 'MAX_CONCURRENCY',
  retentionDays: 'RETENTION_DAYS',
  secretCacheTtlMs: 'SECRET_CACHE_TTL_MS',
  /** An S3-compatible endpoint for RDB snapshots (tests, MinIO); unset on AWS. */
  rdbS3Endpoint: 'RDB_S3_ENDPOINT',
  followTimeBudgetMs: 'FOLLOW_TIME_BUDGET_MS',
  followLeadMs: 'FOLLOW_HANDOVER_LEAD_MS',
  followTickMs: 'FOLLOW_TICK_MS',
} as const;

/** The error name of an execution that failed its verification (the Fail state's Error). */
export const VERIFICATION_FAILED = 'VerificationFailed';

/** The error name of a task that may succeed when tried again; the state machine retries it (cloud-errors.ts). */
export const RETRYABLE_TASK_ERROR = 'RetryableMigrationError';

/**
 * The CloudWatch namespace of the slices' metrics (embedded metric format, see slice-metrics.ts).
 * The construct sets it as POWERTOOLS_METRICS_NAMESPACE and graphs it on its dashboard.
 */
export const METRICS_NAMESPACE = 'RedisFerry';

/** The metrics the slices publish, by name (docs/serverless.md, "Metrics"). */
export const METRIC = {
  keysCopied: 'KeysCopied',
  bytesCopied: 'BytesCopied',
  keysRecopied: 'KeysRecopied',
  keysDeleted: 'KeysDeleted',
  keysPerSecond: 'KeysPerSecond',
  keysVerified: 'KeysVerified',
  verifyDifferences: 'VerifyDifferences',
  slices: 'Slices',
  retries: 'Retries',
  errors: 'Errors',
  followLag: 'FollowLagMs',
  followEventsApplied: 'FollowEventsApplied',
} as const;

/**
 * The dimensions: every metric has { service, Task } (the aggregate the dashboard graphs and the
 * alarms can watch) and { service, Task, MigrationId }; follow lag also { service, Task,
 * MigrationId, UnitId }, the one metric where a per-shard value matters (a sum over shards hides a
 * lagging one). `service` is Powertools' default dimension (POWERTOOLS_SERVICE_NAME).
 */
export const METRIC_DIMENSION = { service: 'service', task: 'Task', migrationId: 'MigrationId', unitId: 'UnitId' } as const;

/** The value of the `service` dimension (POWERTOOLS_SERVICE_NAME of every function). */
export const METRICS_SERVICE = 'redis-ferry';
