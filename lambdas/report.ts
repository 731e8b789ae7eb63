import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { readLambdaSettings } from '../src/cloud/lambda-settings.js';
import { type ReportEvent, type ReportResult, reportRun } from './shared/report-run.js';
import { runTask, taskLog } from './shared/run-task.js';
import { noSecrets } from './shared/task-deps.js';

// Once per container. No secrets here: the report reads DynamoDB only.
const settings = readLambdaSettings(process.env);
const logger = new Logger({ serviceName: 'redis-ferry', persistentKeys: { task: 'report' } });
const deps = { dynamo: new DynamoDBClient({}), settings, resolveSecret: noSecrets('report'), log: taskLog(logger) };

/** Report: sum the units' counters; when all are done, mark the migration finished. */
export const handler = (event: ReportEvent, context: Context): Promise<ReportResult> =>
  runTask(logger, context, 'report', () => reportRun(event, deps));
