import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { settingsFromContext } from '../../infra/app-context.js';
import { buildStack, cleanupApps } from './helpers.js';

after(cleanupApps);

const config = { source: { addresses: ['10.0.0.5:6379'] }, target: { addresses: ['10.0.1.7:6379'] } };

function scheduleOf(template: Template): { input: Record<string, unknown>; description: string } {
  const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule'));
  assert.equal(schedules.length, 1);
  const props = schedules[0]!.Properties as { Target: { Input: string }; Description: string };
  return { input: JSON.parse(props.Target.Input), description: props.Description };
}

describe('Construct: schedule modes', () => {
  it('starts a reconcile pass in reconcile mode, each run under a "reconcile-<time>" id', () => {
    const { input, description } = scheduleOf(
      buildStack({ schedule: { expression: 'rate(1 day)', mode: 'reconcile', input: { config } } }).template(),
    );
    assert.deepEqual(input, { migrationIdPrefix: 'reconcile', scheduledTime: '<aws.scheduler.scheduled-time>', reconcile: true, config });
    assert.equal(description, 'redis-ferry scheduled reconcile pass');
  });

  it('keeps a given prefix in reconcile mode', () => {
    const { input } = scheduleOf(
      buildStack({ schedule: { expression: 'rate(1 day)', mode: 'reconcile', input: { config, migrationIdPrefix: 'orders' } } }).template(),
    );
    assert.equal(input.migrationIdPrefix, 'orders');
    assert.equal(input.reconcile, true);
  });

  it('starts a plain copy by default and in copy mode', () => {
    for (const mode of [undefined, 'copy'] as const) {
      const { input } = scheduleOf(buildStack({ schedule: { expression: 'rate(1 day)', mode, input: { config } } }).template());
      assert.deepEqual(input, { scheduledTime: '<aws.scheduler.scheduled-time>', config });
    }
  });

  it('fails the synth for a reconcile the plan would refuse, and for an unknown mode', () => {
    assert.throws(
      () => buildStack({ schedule: { expression: 'rate(1 day)', mode: 'reconcile', input: { config: { ...config, mode: 'struct' } } } }),
      /schedule.mode "reconcile": compares DUMP payloads/,
    );
    assert.throws(
      () => buildStack({ schedule: { expression: 'rate(1 day)', mode: 'resync' as never, input: { config } } }),
      /schedule.mode must be "copy" or "reconcile" \(got "resync"\)/,
    );
  });

  it('reads the mode and the alarm topic from CDK context', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-ferry-schedule-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const inputFile = join(dir, 'schedule-input.json');
    writeFileSync(inputFile, JSON.stringify({ config }));
    const app = new App({
      context: {
        'redis-ferry:scheduleExpression': 'rate(1 day)',
        'redis-ferry:scheduleInputFile': inputFile,
        'redis-ferry:scheduleMode': 'reconcile',
        'redis-ferry:alarmTopicArn': 'arn:aws:sns:eu-west-1:123456789012:alarms',
      },
    });
    const { settings } = settingsFromContext(app.node);
    assert.equal(settings.schedule?.mode, 'reconcile');
    assert.equal(settings.alarmTopicArn, 'arn:aws:sns:eu-west-1:123456789012:alarms');
  });
});
