import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { type PlanEvent, type PlanResult, planRun } from './shared/plan-run.js';
import { runTask, taskLog } from './shared/run-task.js';
import { createSecretResolver } from './shared/secrets.js';

// Once per container: warm invocations reuse the settings, the clients and the secret cache.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'plan' } });
const deps = {
  dynamo: new DynamoDBClient({}),
  settings,
  resolveSecret: createSecretResolver(new SecretsManagerClient({}), settings.secretCacheTtlMs),
  log: taskLog(logger),
};

/** Plan: validate the input, claim the migration, discover units, create or resume the plan. */
export const handler = (event: PlanEvent, context: Context): Promise<PlanResult> =>
  runTask(logger, context, 'plan', () => planRun(event, deps));
