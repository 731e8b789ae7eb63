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
  followTimeBudgetMs: 'FOLLOW_TIME_BUDGET_MS',
  followLeadMs: 'FOLLOW_HANDOVER_LEAD_MS',
  followTickMs: 'FOLLOW_TICK_MS',
} as const;

/** The error name of an execution that failed its verification (the Fail state's Error). */
export const VERIFICATION_FAILED = 'VerificationFailed';

/** The error name of a task that may succeed when tried again; the state machine retries it (cloud-errors.ts). */
export const RETRYABLE_TASK_ERROR = 'RetryableMigrationError';
