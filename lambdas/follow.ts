import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { SliceMetrics } from '../src/cloud/slice-metrics.js';
import { type FollowEvent, type FollowResult, followSlice } from './shared/follow-slice.js';
import { runTask, taskLog } from './shared/run-task.js';
import { createSecretResolver } from './shared/secrets.js';

// Once per container: warm invocations reuse the settings, the clients and the secret cache.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'follow' } });
const deps = {
  dynamo: new DynamoDBClient({}),
  settings,
  resolveSecret: createSecretResolver(new SecretsManagerClient({}), settings.secretCacheTtlMs),
  log: taskLog(logger),
  metrics: new SliceMetrics('follow'),
};

/** Follow: one turn of a unit's follow lane (stand by, hold the unit, hand over); returns { done, wakeAt } for the lane's loop. */
export const handler = (event: FollowEvent, context: Context): Promise<FollowResult> =>
  runTask(logger, context, 'follow', () =>
    followSlice(event, deps, { requestId: context.awsRequestId, remainingMs: () => context.getRemainingTimeInMillis() }),
  );
