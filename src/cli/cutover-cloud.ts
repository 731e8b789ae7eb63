import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigError, MigrationError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';
import { awsError } from './start-command.js';

export interface CloudCutoverFlags {
  table: string;
  region?: string;
}

/**
 * `redis-ferry cutover <id> --table <name>`: asks the followers of a migration running on AWS to
 * cut over, by setting `cutoverRequestedAt` on its migration item (what automation can set too;
 * docs/serverless.md). Each unit's follower drains, waits for quiet and records "caught up as of
 * T"; the execution then verifies both directions and ends with the verdict.
 */
export async function cloudCutoverCommand(
  migrationId: string,
  flags: CloudCutoverFlags,
  deps: { dynamo?: DynamoDBClient; out?: (line: string) => void; now?: () => Date } = {},
): Promise<number> {
  if (!isValidMigrationId(migrationId)) throw new ConfigError([`migration id ${JSON.stringify(migrationId)} is not valid`]);
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Loaded on use: the local commands should not pay for the AWS SDK at startup.
  const [{ DynamoDBClient }, { requestCutover }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../checkpoint/dynamo-follow.js'),
  ]);
  const dynamo = deps.dynamo ?? new DynamoDBClient(flags.region ? { region: flags.region } : {});
  let at: string;
  try {
    at = await requestCutover(dynamo, flags.table, migrationId, deps.now?.() ?? new Date());
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as Error)?.name === 'ResourceNotFoundException')
      throw new MigrationError(`table ${flags.table} does not exist: use the stack output CheckpointTableName`);
    throw awsError(`update table ${flags.table}`, error);
  }
  out(
    `Cutover requested for ${migrationId} (${at}): each shard's follower drains, waits for a quiet period ` +
      'and records "caught up"; the execution then verifies both directions and ends with the verdict.',
  );
  out(`Watch it with: redis-ferry status ${migrationId} --table ${flags.table}`);
  return 0;
}
