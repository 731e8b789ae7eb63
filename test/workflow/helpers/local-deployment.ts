import type { MigratorStackSettings } from '../../../infra/migrator-stack.js';
import type { LocalDynamo } from '../../../src/checkpoint/local-dynamo.js';
import { type LocalDeployment as Deployment, deployLocally as deployMachine } from '../../../src/rehearse/local-deployment.js';
import type { LocalSecrets } from '../../../src/rehearse/local-secrets.js';
import { loadTemplateMachine } from '../../../src/rehearse/template-machine.js';
import { type SynthesizedApp, synthApp } from './synth-app.js';

/** The synthesized app, its checkpoint table in local DynamoDB, and its state machine run locally. */
export interface LocalDeployment extends Deployment {
  app: SynthesizedApp;
}

/**
 * Synthesizes the stack with `settings` in-process (the tests' own slice budgets), then deploys it
 * locally as `redis-ferry rehearse` does (src/rehearse).
 */
export async function deployLocally(settings: MigratorStackSettings, dynamo: LocalDynamo, secrets: LocalSecrets): Promise<LocalDeployment> {
  const app = synthApp(settings);
  const deployment = await deployMachine(loadTemplateMachine(app.template, app.outdir), dynamo, secrets);
  return {
    ...deployment,
    app,
    close: () => {
      deployment.close();
      app.cleanup();
    },
  };
}
