import type { MigratorStackSettings } from '../../../infra/migrator-stack.js';
import { DynamoMigrationState } from '../../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../../src/checkpoint/dynamo-store.js';
import { type LocalDynamo, startLocalDynamo } from '../../../src/checkpoint/local-dynamo.js';
import type { CapturedConsole } from '../../../src/rehearse/capture-console.js';
import { type LocalSecrets, startLocalSecrets } from '../../../src/rehearse/local-secrets.js';
import type { ExecutionRecord, LocalWorkflow } from '../../../src/rehearse/local-workflow.js';
import { deployLocally, type LocalDeployment } from './local-deployment.js';
import type { SynthesizedApp } from './synth-app.js';

// The AWS SDK warns once per process about Node 20's support window; the workflow tests all run it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Secrets Manager ARNs the standalone workflow tests give the stack for the source's and target's passwords. */
export const SOURCE_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/source-AbCdEf';
export const TARGET_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/target-GhIjKl';

/** The synthesized stack deployed on local DynamoDB and Secrets Manager: what a workflow test runs. */
export interface LocalStack {
  dynamo: LocalDynamo;
  secrets: LocalSecrets;
  workflow: LocalWorkflow;
  tableName: string;
  /** The synthesized app (its template: what the stack would deploy). */
  app: SynthesizedApp;
  /** Everything the handlers logged. */
  logs: CapturedConsole;
  /** The checkpoint table's unit records of `migrationId`, read as a test (not a run) would. */
  checkpoints(migrationId: string): DynamoCheckpointStore;
  /** The checkpoint table's migration item of `migrationId`. */
  migrationState(migrationId: string): DynamoMigrationState;
  /** Closes the deployment and stops both local services. */
  stop(): Promise<void>;
}

/** Starts local DynamoDB and Secrets Manager, stores `secretValues` (ARN → secret string), and deploys the stack with `settings`. */
export async function startLocalStack(settings: MigratorStackSettings, secretValues: Record<string, string> = {}): Promise<LocalStack> {
  const [dynamo, secrets] = await Promise.all([startLocalDynamo(), startLocalSecrets()]);
  for (const [arn, value] of Object.entries(secretValues)) secrets.set(arn, value);
  let deployment: LocalDeployment;
  try {
    deployment = await deployLocally(settings, dynamo, secrets);
  } catch (error) {
    await Promise.all([dynamo.stop(), secrets.stop()]);
    throw error;
  }
  const { workflow, tableName, logs, app } = deployment;
  return {
    dynamo,
    secrets,
    workflow,
    tableName,
    app,
    logs,
    checkpoints: (migrationId) => new DynamoCheckpointStore(dynamo.client, tableName, migrationId, { owner: 'test', runId: 'test' }),
    migrationState: (migrationId) => new DynamoMigrationState(dynamo.client, tableName, migrationId),
    stop: async () => {
      deployment.close();
      await Promise.all([dynamo.stop(), secrets.stop()]);
    },
  };
}

/** The last execution of a run (a run continues as new executions, round by round). */
export const lastExecution = (chain: ExecutionRecord[]): ExecutionRecord => chain[chain.length - 1]!;

/** An error as the Lambda service reports it to Step Functions (its name is what the retriers match). */
export const lambdaError = (name: string, message: string): Error => Object.assign(new Error(message), { name });
