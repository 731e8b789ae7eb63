import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { SliceMetrics } from '../src/cloud/slice-metrics.js';
import { runTask, taskLog } from './shared/run-task.js';
import { createSecretResolver } from './shared/secrets.js';
import { cachedTargetKind, type VerifyEvent, type VerifyResult, verifySlice } from './shared/verify-slice.js';

// Once per container: warm invocations reuse the settings, the clients, the secret cache and the target's kind.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'verify' } });
const deps = {
  dynamo: new DynamoDBClient({}),
  settings,
  resolveSecret: createSecretResolver(new SecretsManagerClient({}), settings.secretCacheTtlMs),
  log: taskLog(logger),
  metrics: new SliceMetrics('verify'),
  targetKind: cachedTargetKind(),
};

/** Verify: one time-boxed slice of one unit's comparison with the target; returns { done, slices } for the loop's Choice. */
export const handler = (event: VerifyEvent, context: Context): Promise<VerifyResult> =>
  runTask(logger, context, 'verify', () =>
    verifySlice(event, deps, { requestId: context.awsRequestId, remainingMs: () => context.getRemainingTimeInMillis() }),
  );
