import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { MigratorStack, type MigratorStackSettings } from '../../infra/migrator-stack.js';

export const SOURCE_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/source-AbCdEf';
export const TARGET_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/target-GhIjKl';

const outdirs: string[] = [];

/**
 * An app with one MigratorStack, synthesized into a temp dir (removed by cleanupApps). Bundling is
 * skipped unless asked for: esbuild output does not change what these tests look at.
 */
export function buildStack(settings: MigratorStackSettings = {}, options: { bundle?: boolean } = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'redis-ferry-infra-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: {
      'aws:cdk:version-reporting': false,
      ...(options.bundle ? { 'aws:cdk:enable-asset-metadata': true } : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = new MigratorStack(app, 'RedisFerry', { settings, env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack, template: () => Template.fromStack(stack) };
}

export function cleanupApps(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * The state machine definition of a template, parsed. CloudFormation references inside it become
 * `${LogicalId}` / `${LogicalId.Arn}` placeholders (they always sit inside JSON strings).
 */
export function definitionOf(template: Template): { States: Record<string, Record<string, unknown>> } {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts = (machines[0]!.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as { Ref?: string; 'Fn::GetAtt'?: string[] };
      if (p.Ref) return `\${${p.Ref}}`;
      if (p['Fn::GetAtt']) return `\${${p['Fn::GetAtt'].join('.')}}`;
      throw new Error(`unexpected intrinsic ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text);
}
