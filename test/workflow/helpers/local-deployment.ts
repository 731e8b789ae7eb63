import type { MigratorStackSettings } from '../../../infra/migrator-stack.js';
import { type CapturedConsole, captureConsole } from './capture-console.js';
import type { FakeSecrets } from './fake-secrets.js';
import { LOCAL_AWS_ENV, type LocalDynamo } from './local-dynamo.js';
import { LocalWorkflow } from './local-workflow.js';
import { type SynthesizedApp, synthApp } from './synth-app.js';
import { loadTemplateMachine } from './template-machine.js';

/** The synthesized app, its checkpoint table in local DynamoDB, and its state machine run locally. */
export interface LocalDeployment {
  app: SynthesizedApp;
  workflow: LocalWorkflow;
  tableName: string;
  /** Everything the handlers logged (restored by close()). */
  logs: CapturedConsole;
  close(): void;
}

/**
 * Synthesizes the stack with `settings`, creates its table in `dynamo`, and loads its bundled
 * handlers with the AWS endpoints pointed at the local DynamoDB and Secrets Manager.
 */
export async function deployLocally(settings: MigratorStackSettings, dynamo: LocalDynamo, secrets: FakeSecrets): Promise<LocalDeployment> {
  const app = synthApp(settings);
  const machine = loadTemplateMachine(app.template, app.outdir);
  const tableName = [...machine.functions.values()][0]!.environment.TABLE_NAME!;
  await dynamo.createTable(tableName);
  const logs = captureConsole();
  const workflow = new LocalWorkflow(machine, {
    ...LOCAL_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    POWERTOOLS_DEV: 'true',
  });
  return {
    app,
    workflow,
    tableName,
    logs,
    close: () => {
      logs.restore();
      app.cleanup();
    },
  };
}
