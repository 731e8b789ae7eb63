import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './app-context.js';
import { MigratorStack } from './migrator-stack.js';

// `npx cdk synth` runs this (cdk.json "app"). cdk-nag's AwsSolutions pack runs at synth: any
// finding that is not acknowledged (with its reason) fails the synth.
const app = new App();
const { stackName, settings } = settingsFromContext(app.node);
new MigratorStack(app, stackName, {
  settings,
  description: 'redis-ferry: serverless Redis migrator (Step Functions + Lambda + DynamoDB checkpoints)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
