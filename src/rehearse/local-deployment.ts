import { LOCAL_AWS_ENV, type LocalDynamo } from '../checkpoint/local-dynamo.js';
import { LAMBDA_ENV } from '../cloud/deploy-names.js';
import { type CapturedConsole, type CaptureOptions, captureConsole } from './capture-console.js';
import type { LocalSecrets } from './local-secrets.js';
import { LocalWorkflow } from './local-workflow.js';
import type { TemplateMachine } from './template-machine.js';

/** A synthesized state machine with its checkpoint table in local DynamoDB, ready to run locally. */
export interface LocalDeployment {
  workflow: LocalWorkflow;
  tableName: string;
  /** Everything the handlers logged (the console is restored by close()). */
  logs: CapturedConsole;
  close(): void;
}

/**
 * Creates the machine's checkpoint table in `dynamo` and loads its bundled handlers with the AWS
 * endpoints pointed at the local DynamoDB and Secrets Manager: nothing reaches AWS. The handlers'
 * logs are captured from here on (Powertools writes them through the console in dev mode).
 */
export async function deployLocally(
  machine: TemplateMachine,
  dynamo: LocalDynamo,
  secrets: LocalSecrets,
  options: { logs?: CaptureOptions } = {},
): Promise<LocalDeployment> {
  const tableName = [...machine.functions.values()][0]?.environment[LAMBDA_ENV.tableName];
  if (!tableName) throw new Error(`the synthesized functions have no ${LAMBDA_ENV.tableName}: not a redis-ferry stack`);
  await dynamo.createTable(tableName);
  const logs = captureConsole(options.logs);
  try {
    const workflow = new LocalWorkflow(machine, {
      ...LOCAL_AWS_ENV,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      POWERTOOLS_DEV: 'true',
      // Dev mode turns metrics off; on, their EMF documents land in the captured logs like the log lines.
      POWERTOOLS_METRICS_DISABLED: 'false',
    });
    return { workflow, tableName, logs, close: () => logs.restore() };
  } catch (error) {
    logs.restore();
    throw error;
  }
}
