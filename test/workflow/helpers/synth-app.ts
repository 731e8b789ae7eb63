import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { MigratorStack, type MigratorStackSettings } from '../../../infra/migrator-stack.js';
import type { CfnTemplate } from '../../../src/rehearse/cloud-assembly.js';

export interface SynthesizedApp {
  outdir: string;
  stackName: string;
  template: CfnTemplate;
  /** Removes the cloud assembly (bundles included). */
  cleanup(): void;
}

/**
 * Synthesizes the real stack (esbuild bundles included) into a fresh directory under the OS temp
 * dir, as `cdk synth` would, and reads its template back.
 */
export function synthApp(settings: MigratorStackSettings, stackName = 'RedisFerryTest'): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), 'redis-ferry-cdk-'));
  const app = new App({ outdir, context: { 'aws:cdk:version-reporting': false, 'aws:cdk:enable-asset-metadata': true } });
  new MigratorStack(app, stackName, { settings });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as CfnTemplate;
  return { outdir, stackName, template, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
