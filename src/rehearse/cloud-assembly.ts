import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';

/** The parts of a CloudFormation template the local run reads. */
export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
}

/** One stack of a cloud assembly (`cdk synth`'s output directory): its template, and where its assets are. */
export interface AssemblyStack {
  outdir: string;
  stackName: string;
  template: CfnTemplate;
}

interface Manifest {
  artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }>;
}

/**
 * Reads the stack `stackName` (or the only stack) of the cloud assembly in `outdir`, as
 * `cdk deploy --app <outdir>` would deploy it.
 */
export function readAssemblyStack(outdir: string, stackName?: string): AssemblyStack {
  const manifestPath = join(outdir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new ConfigError([`${outdir}: not a cloud assembly (no manifest.json); give the directory \`npx cdk synth -o DIR\` wrote`]);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const names = stacks.map(([name]) => name);
  const chosen = stackName ? stacks.find(([name]) => name === stackName) : stacks.length === 1 ? stacks[0] : undefined;
  if (!chosen) {
    const which = stackName ? `has no stack ${stackName}` : `holds ${stacks.length} stacks`;
    throw new ConfigError([`${outdir} ${which}: name one of ${names.join(', ') || '(none)'} with --stack`]);
  }
  const [name, artifact] = chosen;
  const templateFile = artifact.properties?.templateFile ?? `${name}.template.json`;
  const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as CfnTemplate;
  return { outdir, stackName: name, template };
}
