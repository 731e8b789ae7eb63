import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { aws_iam as iam, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStack, cleanupApps, SOURCE_SECRET, TARGET_SECRET } from './helpers.js';

after(cleanupApps);

const everything = {
  secretArns: [SOURCE_SECRET, TARGET_SECRET],
  secretNames: ['redis-ferry/sentinel'],
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0aaaaaaaaaaaaaaa1'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:redis-ferry-alarms',
  schedule: {
    expression: 'rate(1 day)',
    input: {
      config: { source: { addresses: ['10.0.0.5:6379'], passwordSecretArn: SOURCE_SECRET }, target: { addresses: ['10.0.1.7:6379'] } },
    },
  },
};

/** Findings AwsSolutions reports and nothing acknowledged, as "Rule at construct path". */
function unacknowledged(app: ReturnType<typeof buildStack>['app']): string[] {
  return new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`));
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default stack', () => {
    assert.deepEqual(unacknowledged(buildStack().app), []);
  });

  it('finds nothing unacknowledged with secrets, a VPC, a schedule and an alarm topic', () => {
    assert.deepEqual(unacknowledged(buildStack(everything).app), []);
  });

  it('gives a reason for every acknowledgment', () => {
    const { app } = buildStack(everything);
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    assert.ok(acknowledged.length > 0);
    for (const [id, reason] of acknowledged)
      assert.ok(typeof reason === 'string' && reason.length >= 40, `${id} has no real reason: ${reason}`);
  });

  it('still reports a wildcard the migrator does not need: acknowledgments are narrow', () => {
    const { app, stack } = buildStack();
    stack.migrator.functions.copy.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    const findings = unacknowledged(app);
    assert.ok(
      findings.some((f) => f.startsWith('AwsSolutions-IAM5') && f.includes('Copy')),
      findings.join('\n'),
    );
  });
});
