import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { type FailureEvent, type FailureResult, reportFailure } from './shared/failure-report.js';
import { runTask, taskLog } from './shared/run-task.js';
import { noSecrets } from './shared/task-deps.js';

// Once per container. No secrets here: failures are recorded in DynamoDB only.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'record-failure' } });
const deps = { dynamo: new DynamoDBClient({}), settings, resolveSecret: noSecrets('record-failure'), log: taskLog(logger) };

/** Catch target: record the failure on the unit or the migration, return a readable cause. */
export const handler = (event: FailureEvent, context: Context): Promise<FailureResult> =>
  runTask(logger, context, 'record-failure', () => reportFailure(event, deps));
