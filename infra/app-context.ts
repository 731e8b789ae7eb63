import { readFileSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import type { ScheduleMode } from './constructs/migration-schedule.js';
import type { MigratorStackSettings } from './migrator-stack.js';

/**
 * Reads the deploy settings from CDK context (cdk.json "context", or `-c redis-ferry:KEY=VALUE`):
 *
 *   redis-ferry:stackName           default "RedisFerry"
 *   redis-ferry:secretArns          complete secret ARNs, comma-separated or a JSON list
 *   redis-ferry:secretNames         secret names (any suffix)
 *   redis-ferry:vpcId, :subnetIds, :securityGroupIds
 *   redis-ferry:memorySize, :timeoutMinutes, :maxConcurrency
 *   redis-ferry:copyTimeBudgetMs, :verifyTimeBudgetMs   cap each copy / verify slice (default: the timeout)
 *   redis-ferry:maxSlicesPerUnitExecution               slices per unit per round (default 300)
 *   redis-ferry:tableRemovalPolicy  "retain" (default) or "destroy"
 *   redis-ferry:alarmTopicArn       an existing SNS topic the failed-execution alarm notifies
 *   redis-ferry:rdbBucket, :rdbPrefix  where RDB snapshots are restored from (read-only access to bucket/prefix*)
 *   redis-ferry:scheduleExpression  e.g. "cron(0 3 * * ? *)"; with :scheduleInputFile (JSON
 *                                   { "config": …, "migrationIdPrefix"?: … }), :scheduleTimeZone and
 *                                   :scheduleMode ("copy", the default, or "reconcile")
 *
 * Every problem is reported at once.
 */
export function settingsFromContext(node: Node): { stackName: string; settings: MigratorStackSettings } {
  const problems: string[] = [];
  const get = (key: string): unknown => node.tryGetContext(`redis-ferry:${key}`);
  const list = (key: string): string[] | undefined => {
    const v = get(key);
    if (v === undefined || v === '') return undefined;
    if (Array.isArray(v)) return v.map(String);
    return String(v)
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  };
  const number = (key: string): number | undefined => {
    const v = get(key);
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) problems.push(`redis-ferry:${key} must be a number (got ${JSON.stringify(v)})`);
    return n;
  };

  const removal = get('tableRemovalPolicy');
  if (removal !== undefined && removal !== 'retain' && removal !== 'destroy')
    problems.push('redis-ferry:tableRemovalPolicy must be "retain" or "destroy"');
  const timeoutMinutes = number('timeoutMinutes');
  const copyTimeBudgetMs = number('copyTimeBudgetMs');
  const verifyTimeBudgetMs = number('verifyTimeBudgetMs');
  const maxSlicesPerUnitExecution = number('maxSlicesPerUnitExecution');
  const memorySize = number('memorySize');
  const maxConcurrency = number('maxConcurrency');
  let schedule: MigratorStackSettings['schedule'];
  const expression = get('scheduleExpression');
  if (expression !== undefined && expression !== '') {
    const file = get('scheduleInputFile');
    if (typeof file !== 'string' || !file) {
      problems.push(
        'redis-ferry:scheduleExpression needs redis-ferry:scheduleInputFile: a JSON file with { "config": … } (see docs/serverless.md)',
      );
    } else {
      try {
        const tz = get('scheduleTimeZone');
        const mode = get('scheduleMode');
        schedule = {
          expression: String(expression),
          ...(mode !== undefined && mode !== '' ? { mode: mode as ScheduleMode } : {}),
          input: JSON.parse(readFileSync(file, 'utf8')),
          ...(typeof tz === 'string' && tz ? { timeZone: tz } : {}),
        };
      } catch (error) {
        problems.push(`redis-ferry:scheduleInputFile ${file}: ${(error as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new Error(`invalid CDK context:\n  ${problems.join('\n  ')}`);

  const settings: MigratorStackSettings = {
    secretArns: list('secretArns'),
    secretNames: list('secretNames'),
    vpcId: (get('vpcId') as string | undefined) || undefined,
    subnetIds: list('subnetIds'),
    securityGroupIds: list('securityGroupIds'),
    memorySize,
    timeout: timeoutMinutes === undefined ? undefined : Duration.minutes(timeoutMinutes),
    maxConcurrency,
    copyTimeBudget: copyTimeBudgetMs === undefined ? undefined : Duration.millis(copyTimeBudgetMs),
    verifyTimeBudget: verifyTimeBudgetMs === undefined ? undefined : Duration.millis(verifyTimeBudgetMs),
    maxSlicesPerUnitExecution,
    tableRemovalPolicy: removal === 'destroy' ? RemovalPolicy.DESTROY : undefined,
    rdbBucket: (get('rdbBucket') as string | undefined) || undefined,
    rdbPrefix: (get('rdbPrefix') as string | undefined) || undefined,
    schedule,
    alarmTopicArn: (get('alarmTopicArn') as string | undefined) || undefined,
  };
  return { stackName: String(get('stackName') ?? 'RedisFerry'), settings };
}
