import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { METRIC, METRICS_NAMESPACE } from '../../src/cloud/deploy-names.js';
import { buildStack, cleanupApps } from './helpers.js';

after(cleanupApps);

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:redis-ferry-alarms';

/** The dashboard body as CloudFormation will render it: its Fn::Join parts with references as `${LogicalId}`. */
function dashboardBody(template: Template): { widgets: { type: string; properties: Record<string, unknown> }[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  assert.equal(dashboards.length, 1);
  const body = dashboards[0]!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      if (p.Ref) return `\${${p.Ref}}`;
      if (p['Fn::GetAtt']) return `\${${p['Fn::GetAtt'].join('.')}}`;
      return '${?}';
    })
    .join('');
  return JSON.parse(text);
}

const titles = (template: Template) => dashboardBody(template).widgets.map((w) => String(w.properties.title));

describe('Construct: monitoring (dashboard, alarm)', () => {
  it('adds a dashboard graphing throughput, follow lag, errors and execution status', () => {
    const template = buildStack().template();
    const body = dashboardBody(template);
    const text = JSON.stringify(body);
    assert.deepEqual(titles(template), [
      'Throughput (all migrations)',
      'Keys copied per migration (per minute)',
      'Follow lag (ms, worst shard)',
      'Follow events applied / verify differences (per minute)',
      'Slice retries and errors',
      'Lambda errors and throttles',
      'Executions (started, succeeded, failed, timed out, aborted)',
      'Alarm',
    ]);
    // The slices' metrics, under the construct's namespace.
    for (const name of [METRIC.keysCopied, METRIC.bytesCopied, METRIC.keysVerified, METRIC.followLag, METRIC.followEventsApplied]) {
      assert.match(text, new RegExp(`"${METRICS_NAMESPACE}","${name}"`), `${name} is graphed`);
    }
    for (const name of [METRIC.retries, METRIC.errors, METRIC.verifyDifferences]) assert.match(text, new RegExp(`"${name}"`));
    // Per migration and per shard: a SEARCH, as the ids are known only at run time.
    assert.match(
      text,
      /SEARCH\('\{RedisFerry,service,Task,MigrationId,UnitId\} Task=\\"follow\\" MetricName=\\"FollowLagMs\\"', 'Maximum', 60\)/,
    );
    // The state machine's own execution metrics, and the Lambda functions' errors.
    for (const name of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
      assert.match(text, new RegExp(`"AWS/States","${name}","StateMachineArn","\\$\\{\\w+\\}"`), `${name} is graphed`);
    }
    // One Errors line per function: plan, copy, verify, report, record-failure, follow.
    assert.equal(text.match(/"AWS\/Lambda","Errors"/g)?.length, 6);
  });

  it('alarms on failed or timed-out executions of the state machine, without an action by default', () => {
    const template = buildStack().template();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'failed + timedOut', ReturnData: true }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' }),
            Stat: 'Sum',
          }),
          ReturnData: false,
        }),
        Match.objectLike({
          Id: 'timedOut',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut' }) }),
        }),
      ]),
    });
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))[0]!;
    assert.equal(alarm.Properties.AlarmActions, undefined);
    // Both metrics are of this stack's state machine.
    const machine = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const dims = JSON.stringify(alarm.Properties.Metrics);
    assert.equal(dims.match(new RegExp(`"Ref":"${machine}"`, 'g'))?.length, 2);
  });

  it('notifies the given SNS topic when the alarm fires', () => {
    const template = buildStack({ alarmTopicArn: TOPIC }).template();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [TOPIC] });
    // An existing topic: the stack creates none.
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('names the dashboard, the alarm and the metrics namespace in the stack outputs', () => {
    const template = buildStack().template();
    const outputs = template.findOutputs('*');
    assert.deepEqual(outputs.MetricsNamespace?.Value, METRICS_NAMESPACE);
    assert.ok(outputs.DashboardName?.Value?.Ref, 'DashboardName refers to the dashboard');
    assert.ok(outputs.ExecutionsAlarmName?.Value?.Ref, 'ExecutionsAlarmName refers to the alarm');
  });
});
