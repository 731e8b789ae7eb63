import { createHash } from 'node:crypto';
import { ConfigError } from '../core/errors.js';

/**
 * Execution names are unique per state machine for 90 days, and StartExecution with the name and
 * input of a running execution returns that execution instead of starting another. Deriving names
 * from the migration id therefore makes "start the same migration twice" a no-op, and deriving the
 * next round's name from the run makes a retried or redriven round hand-off start it only once.
 */

/** Step Functions' limit on execution names. */
export const MAX_EXECUTION_NAME = 80;

/** The first execution of a migration started by the CLI; `attempt` names a deliberate restart. */
export function startExecutionName(migrationId: string, attempt?: string): string {
  return attempt ? `${migrationId}.${attempt}`.slice(0, MAX_EXECUTION_NAME) : migrationId;
}

/**
 * Name of round `round` of the run that started as execution `runId`: readable (the run's name
 * first), unique per run (a hash of the full run name), and at most 80 characters.
 */
export function roundExecutionName(runId: string, round: number): string {
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  const suffix = `-${hash}-r${round}`;
  return `${runId.slice(0, MAX_EXECUTION_NAME - suffix.length)}${suffix}`;
}

/** "2025-03-01T03:00:00Z" → "nightly-20250301T030000Z": one new migration per scheduled run. */
export function scheduledMigrationId(prefix: string, scheduledTime: string): string {
  const at = new Date(scheduledTime);
  if (Number.isNaN(at.getTime())) {
    throw new ConfigError([
      `input.scheduledTime: ${JSON.stringify(scheduledTime)} is not a timestamp (EventBridge ` +
        `Scheduler fills it from <aws.scheduler.scheduled-time>)`,
    ]);
  }
  const compact = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${prefix}-${compact}`;
}
