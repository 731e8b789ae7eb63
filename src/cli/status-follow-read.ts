import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FollowRecord } from '../checkpoint/dynamo-follow.js';

/** The follow items of a migration and its cutover flag (none for a migration that is not followed). */
export async function readFollow(
  dynamo: DynamoDBClient,
  table: string,
  migrationId: string,
): Promise<{ records: FollowRecord[]; cutoverRequestedAt?: string }> {
  // Loaded on use, as the rest of status: the local commands do not load the AWS SDK.
  const { listFollowRecords, readCutoverRequest } = await import('../checkpoint/dynamo-follow.js');
  const [records, cutoverRequestedAt] = await Promise.all([
    listFollowRecords(dynamo, table, migrationId),
    readCutoverRequest(dynamo, table, migrationId),
  ]);
  return { records, ...(cutoverRequestedAt ? { cutoverRequestedAt } : {}) };
}
