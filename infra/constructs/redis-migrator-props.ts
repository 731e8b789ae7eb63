import { Duration, Token } from 'aws-cdk-lib';
import { checkScheduledConfig } from '../../src/cloud/execution-input.js';
import { ConfigError } from '../../src/core/errors.js';
import { bucketNameProblem } from '../../src/rdb-s3/s3-uri.js';
import type { RedisMigratorProps } from './redis-migrator.js';
import { HISTORY_LIMIT, maxSlicesWithinHistory, worstCaseChildEvents } from './retry-policy.js';

/**
 * Checks RedisMigrator props before anything is created and throws one error listing every
 * problem (STYLE.md §7), so `cdk synth` says all that is wrong at once.
 */
export function validateMigratorProps(props: RedisMigratorProps): void {
  const problems: string[] = [];
  const integer = (name: string, value: number | undefined, min: number, max: number, hint = '') => {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name} must be an integer from ${min} to ${max}${hint} (got ${value})`);
  };
  integer('memorySize', props.memorySize, 128, 10_240, ' MB');
  integer('maxConcurrency', props.maxConcurrency, 1, 10_000, ' (a Distributed Map runs at most 10,000 child executions at once)');
  const maxSlices = maxSlicesWithinHistory();
  integer(
    'maxSlicesPerUnitExecution',
    props.maxSlicesPerUnitExecution,
    1,
    maxSlices,
    `: beyond that a child execution could exceed the ${HISTORY_LIMIT}-event history ` +
      `in the worst case (${worstCaseChildEvents(maxSlices + 1)} events)`,
  );

  const timeout = props.timeout;
  if (timeout && !timeout.isUnresolved() && (timeout.toSeconds() < 10 || timeout.toSeconds() > 900)) {
    problems.push(`timeout must be from 10 seconds to 15 minutes, Lambda's limit (got ${timeout.toHumanString()})`);
  }
  for (const [name, budget] of [
    ['copyTimeBudget', props.copyTimeBudget],
    ['verifyTimeBudget', props.verifyTimeBudget],
  ] as const) {
    if (budget && !budget.isUnresolved() && budget.toMilliseconds() >= (timeout ?? Duration.minutes(15)).toMilliseconds()) {
      problems.push(`${name} (${budget.toHumanString()}) must be shorter than the function timeout`);
    }
  }
  if (props.checkpointRetention && !props.checkpointRetention.isUnresolved() && props.checkpointRetention.toSeconds() < 0) {
    problems.push('checkpointRetention must not be negative');
  }
  if (props.rdbSource) {
    const { bucketName, prefix } = props.rdbSource;
    const problem = Token.isUnresolved(bucketName) ? undefined : bucketNameProblem(bucketName);
    if (problem !== undefined) problems.push(`rdbSource.bucketName: ${problem}`);
    if (prefix !== undefined && (prefix.startsWith('/') || prefix.includes('*')))
      problems.push(`rdbSource.prefix must be a key prefix such as "backups/" (no leading "/", no "*"), got "${prefix}"`);
  }
  if (!props.vpc && (props.vpcSubnets || props.securityGroups?.length)) problems.push('vpcSubnets and securityGroups need vpc to be set');

  if (props.schedule) {
    const { input, mode } = props.schedule;
    if (mode !== undefined && mode !== 'copy' && mode !== 'reconcile')
      problems.push(`schedule.mode must be "copy" or "reconcile" (got ${JSON.stringify(mode)})`);
    try {
      checkScheduledConfig(input.config, mode === 'reconcile', 'schedule');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    if (input.migrationIdPrefix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,46}$/.test(input.migrationIdPrefix)) {
      problems.push('schedule.input.migrationIdPrefix must be 1-47 letters, digits, ".", "_" or "-" (the run time is appended)');
    }
  }
  if (problems.length > 0) throw new Error(`RedisMigrator: invalid props:\n  ${problems.join('\n  ')}`);
}
