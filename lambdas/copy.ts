import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { SliceMetrics } from '../src/cloud/slice-metrics.js';
import { type CopyEvent, type CopyResult, copySlice } from './shared/copy-slice.js';
import { runTask, taskLog } from './shared/run-task.js';
import { createSecretResolver } from './shared/secrets.js';

// Once per container: warm invocations reuse the settings, the clients and the secret cache.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'copy' } });
const deps = {
  dynamo: new DynamoDBClient({}),
  settings,
  resolveSecret: createSecretResolver(new SecretsManagerClient({}), settings.secretCacheTtlMs),
  log: taskLog(logger),
  metrics: new SliceMetrics('copy'),
};

/** Copy: one time-boxed slice of one unit; returns { done, slices } for the loop's Choice. */
export const handler = (event: CopyEvent, context: Context): Promise<CopyResult> =>
  runTask(logger, context, 'copy', () =>
    copySlice(event, deps, { requestId: context.awsRequestId, remainingMs: () => context.getRemainingTimeInMillis() }),
  );
