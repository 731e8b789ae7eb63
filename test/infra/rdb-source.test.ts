import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { aws_iam as iam } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildStack, cleanupApps } from './helpers.js';

after(cleanupApps);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The S3 statements of the role a function (matched by its description) runs as. */
function s3Statements(template: Template, description: RegExp): Statement[] {
  const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => description.test(String(f.Properties.Description)));
  assert.ok(fn, `a function matching ${description}`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
    .filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:')));
}

/** An ARN as the template writes it (a string, or an Fn::Join with the partition as a Ref), as one string. */
function resourceText(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(resourceText).join(join[0]);
  if ((resource as { Ref?: string }).Ref === 'AWS::Partition') return '<partition>';
  throw new Error(`unexpected resource ${JSON.stringify(resource)}`);
}

function unacknowledged(app: ReturnType<typeof buildStack>['app']): string[] {
  return new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`));
}

describe('Construct: RedisMigrator reading RDB snapshots from S3 (rdbSource)', () => {
  it('grants plan, copy and verify s3:GetObject on the named bucket and prefix only, and nothing of S3 to the others', () => {
    const template = buildStack({ rdbBucket: 'orders-backups', rdbPrefix: 'elasticache/' }).template();
    for (const fn of [/plan:/, /copy:/, /verify:/]) {
      const statements = s3Statements(template, fn);
      assert.equal(statements.length, 1, `${fn}`);
      assert.deepEqual([statements[0]!.Action].flat(), ['s3:GetObject'], `${fn}`);
      assert.equal(statements[0]!.Effect, 'Allow');
      assert.equal(resourceText(statements[0]!.Resource), 'arn:<partition>:s3:::orders-backups/elasticache/*', `${fn}`);
    }
    for (const fn of [/report:/, /record-failure:/]) assert.deepEqual(s3Statements(template, fn), [], `${fn} reads no S3`);
  });

  it('grants the whole bucket without a prefix, and no S3 access at all without rdbSource', () => {
    const whole = buildStack({ rdbBucket: 'orders-backups' }).template();
    assert.equal(resourceText(s3Statements(whole, /copy:/)[0]!.Resource), 'arn:<partition>:s3:::orders-backups/*');
    const none = buildStack().template();
    for (const fn of [/plan:/, /copy:/, /verify:/, /report:/]) assert.deepEqual(s3Statements(none, fn), []);
  });

  it('passes cdk-nag with the snapshot grant acknowledged narrowly, and still reports a broader S3 grant', () => {
    const { app } = buildStack({ rdbBucket: 'orders-backups', rdbPrefix: 'elasticache/' });
    assert.deepEqual(unacknowledged(app), []);
    const broader = buildStack({ rdbBucket: 'orders-backups', rdbPrefix: 'elasticache/' });
    broader.stack.migrator.functions.copy.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::orders-backups/*'] }),
    );
    assert.ok(unacknowledged(broader.app).some((f) => f.startsWith('AwsSolutions-IAM5') && f.includes('Copy')));
  });

  it('refuses a bad bucket name or prefix at synth, saying which', () => {
    assert.throws(() => buildStack({ rdbBucket: 'Orders_Backups' }), /rdbSource\.bucketName: "Orders_Backups" is not a valid bucket name/);
    assert.throws(() => buildStack({ rdbBucket: 'orders-backups', rdbPrefix: '/rdb/*' }), /rdbSource\.prefix must be a key prefix/);
  });
});
