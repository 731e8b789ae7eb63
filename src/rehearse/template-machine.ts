import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { CfnTemplate } from './cloud-assembly.js';

/** The account and region the local run pretends to be in (ARNs only: nothing calls AWS). */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

/** A Lambda function of the template, as the local run needs it. */
export interface TemplateFunction {
  logicalId: string;
  /** The esbuild bundle (cdk.out/asset.<hash>/index.js). */
  bundle: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
}

export interface TemplateMachine {
  definition: StateMachineDefinition;
  stateMachineName: string;
  stateMachineArn: string;
  /** Lambda-invoking Task states (recursively, Map processors included) → function logical id. */
  lambdaStates: Map<string, string>;
  /** Task states that start an execution (the workflow's next round). */
  startExecutionStates: string[];
  /** Map states whose iterations are child executions with their own history. */
  distributedMaps: string[];
  /** Every Task state name (for retry-interval overrides). */
  taskStates: string[];
  functions: Map<string, TemplateFunction>;
  /** The secrets the functions may read (IAM resource patterns, `*` and `?` wildcards). */
  secretGrants: string[];
}

type Pseudo = Record<string, string>;
const PSEUDO: Pseudo = { 'AWS::Partition': 'aws', 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com' };
/** For IAM resource patterns: the deployed stack's account and region are unknown here, so any. */
const ANY_PSEUDO: Pseudo = { 'AWS::Partition': 'aws*', 'AWS::Region': '*', 'AWS::AccountId': '*', 'AWS::URLSuffix': '*' };

/**
 * Resolves the CloudFormation intrinsics a synthesized definition uses: Fn::Join, Ref of the
 * pseudo parameters (fixed fake account/region), Ref of a resource (its logical id, which the local
 * run also uses as the physical name, e.g. the table's), and Fn::GetAtt [Id, Arn] (a fake ARN).
 */
export function resolveIntrinsics(value: unknown, template: CfnTemplate, pseudo: Pseudo = PSEUDO): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template, pseudo));
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(resolveIntrinsics(p, template, pseudo))).join(sep);
  }
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    if (pseudo[ref]) return pseudo[ref];
    if (template.Resources[ref]) return ref;
    throw new Error(`cannot resolve Ref ${ref}`);
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    const type = template.Resources[id]?.Type;
    if (attr === 'Arn' && type === 'AWS::Lambda::Function') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    if (attr === 'Arn') return `arn:aws:${type?.split('::')[1]?.toLowerCase()}:${REGION}:${ACCOUNT}:${id}`;
    throw new Error(`cannot resolve Fn::GetAtt ${id}.${attr}`);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveIntrinsics(v, template, pseudo)]));
}

/** The functions with a bundled asset, with their environment, timeout and memory. */
function templateFunctions(template: CfnTemplate, outdir: string): Map<string, TemplateFunction> {
  const functions = new Map<string, TemplateFunction>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') continue;
    const p = resource.Properties!;
    const vars = ((p.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>;
    functions.set(logicalId, {
      logicalId,
      bundle: join(outdir, assetPath, 'index.js'),
      environment: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(resolveIntrinsics(v, template))])),
      timeoutSeconds: Number(p.Timeout ?? 3),
      memorySize: Number(p.MemorySize ?? 128),
    });
  }
  return functions;
}

/** Resource patterns of every IAM statement that allows secretsmanager:GetSecretValue. */
function secretGrants(template: CfnTemplate): string[] {
  const grants = new Set<string>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const statements = (resource.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] })?.Statement ?? [];
    for (const statement of statements) {
      const actions = ([] as unknown[]).concat(statement.Action);
      if (statement.Effect !== 'Allow' || !actions.some((a) => a === 'secretsmanager:GetSecretValue' || a === 'secretsmanager:*')) continue;
      for (const r of ([] as unknown[]).concat(statement.Resource)) grants.add(String(resolveIntrinsics(r, template, ANY_PSEUDO)));
    }
  }
  return [...grants];
}

/** Whether an IAM resource pattern (`*` any run of characters, `?` one) covers `arn`. */
export function grantCovers(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** Takes the one state machine of the template, its Lambda tasks and their bundles. */
export function loadTemplateMachine(template: CfnTemplate, outdir: string): TemplateMachine {
  const machines = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const props = machines[0]![1].Properties!;
  const definition = JSON.parse(String(resolveIntrinsics(props.DefinitionString, template))) as StateMachineDefinition;
  const stateMachineName = String(props.StateMachineName);

  const lambdaStates = new Map<string, string>();
  const startExecutionStates: string[] = [];
  const distributedMaps: string[] = [];
  const taskStates: string[] = [];
  const walk = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        taskStates.push(name);
        const resource = String(state.Resource);
        const fnArn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
        if (resource.endsWith(':states:::lambda:invoke') && fnArn) lambdaStates.set(name, fnArn.split(':function:')[1]!);
        if (resource.endsWith(':states:::states:startExecution')) startExecutionStates.push(name);
      }
      const processor = state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
      if (state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') distributedMaps.push(name);
      for (const nested of [state.ItemProcessor, state.Iterator, ...((state.Branches as unknown[]) ?? [])]) {
        if (nested) walk((nested as { States: Record<string, Record<string, unknown>> }).States);
      }
    }
  };
  walk(definition.States as unknown as Record<string, Record<string, unknown>>);
  return {
    definition,
    stateMachineName,
    stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`,
    lambdaStates,
    startExecutionStates,
    distributedMaps,
    taskStates,
    functions: templateFunctions(template, outdir),
    secretGrants: secretGrants(template),
  };
}
