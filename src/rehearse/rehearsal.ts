import { DynamoCheckpointStore } from '../checkpoint/dynamo-store.js';
import { DynamoVerifyProgress } from '../checkpoint/dynamo-verify.js';
import { type LocalDynamo, startLocalDynamo } from '../checkpoint/local-dynamo.js';
import type { AssemblyStack } from './cloud-assembly.js';
import { deployLocally, type LocalDeployment } from './local-deployment.js';
import { type LocalSecrets, startLocalSecrets } from './local-secrets.js';
import type { ExecutionRecord } from './local-workflow.js';
import type { RunTrace } from './run-trace.js';
import { type ProgressReader, RunTracer } from './run-tracer.js';
import { grantCovers, loadTemplateMachine, type TemplateMachine } from './template-machine.js';

export interface RehearsalOptions {
  stack: AssemblyStack;
  /** Secret ARN → its text, as Secrets Manager would hold it (the bare password, or JSON). */
  secrets: ReadonlyMap<string, string>;
  /** The live view (states, slices, rounds); default: silent. */
  out?: (line: string) => void;
  /** The handlers' own log lines, as they come; default: dropped. */
  lambdaLog?: (line: string) => void;
}

export interface RehearsalRun {
  /** Every execution of the run, its rounds included. */
  chain: ExecutionRecord[];
  final: ExecutionRecord;
  trace: RunTrace;
}

/** A synthesized stack deployed in this process: its table in local DynamoDB, its secrets in memory. */
export interface Rehearsal {
  machine: TemplateMachine;
  tableName: string;
  dynamo: LocalDynamo;
  /** Which of `arns` the deployed functions would not be allowed to read (IAM, from the template). */
  ungranted(arns: string[]): string[];
  /** Starts an execution named `executionName` with `input` and follows it to its last round. */
  run(input: unknown, executionName: string): Promise<RehearsalRun>;
  close(): Promise<void>;
}

/**
 * Deploys `stack` locally: the state machine of its template, run by aws-local-stepfunctions over
 * its esbuild bundles, with DynamoDB (dynalite) and Secrets Manager served on loopback. What runs
 * is what `cdk deploy` would deploy; only AWS's services are stood in for.
 */
export async function openRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const machine = loadTemplateMachine(options.stack.template, options.stack.outdir);
  let dynamo: LocalDynamo | undefined;
  let secrets: LocalSecrets | undefined;
  let deployment: LocalDeployment | undefined;
  const close = async () => {
    deployment?.close();
    await Promise.all([dynamo?.stop(), secrets?.stop()]);
  };
  // The SDK's notice about its future Node versions concerns this process's stand-ins, not the deployment.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    // One after the other: if one fails to start, close() stops the other.
    dynamo = await startLocalDynamo();
    secrets = await startLocalSecrets({ grants: machine.secretGrants });
    for (const [arn, value] of options.secrets) secrets.set(arn, value);
    deployment = await deployLocally(machine, dynamo, secrets, { logs: { keep: false, echo: options.lambdaLog } });
  } catch (error) {
    await close();
    throw error;
  }
  const { workflow, tableName } = deployment;
  const local = dynamo;
  workflow.keepEvents = false;
  return {
    machine,
    tableName,
    dynamo: local,
    ungranted: (arns) => arns.filter((arn) => !machine.secretGrants.some((g) => grantCovers(g, arn))),
    async run(input, executionName) {
      const tracer = new RunTracer(machine, progressReader(local, tableName), options.out);
      workflow.observer = tracer;
      try {
        const chain = await workflow.start(input, executionName);
        return { chain, final: chain[chain.length - 1]!, trace: tracer.trace };
      } finally {
        workflow.observer = undefined;
      }
    },
    close,
  };
}

/** Reads a unit's total and cursor after a slice: the copy checkpoint, or the verify progress. */
function progressReader(dynamo: LocalDynamo, tableName: string): ProgressReader {
  // Read-only: owner and run are never written by loadUnit or load.
  const reader = { owner: 'rehearsal', runId: 'rehearsal' };
  return async (phase, migrationId, unitId) => {
    if (phase === 'copy') {
      const checkpoint = await new DynamoCheckpointStore(dynamo.client, tableName, migrationId, reader).loadUnit(unitId);
      return checkpoint && { total: checkpoint.counters.copied, cursor: checkpoint.cursor };
    }
    const progress = await new DynamoVerifyProgress(dynamo.client, tableName, migrationId, reader).load(unitId);
    // A target unit (the extra-key check) counts the target keys it looked up on the source.
    return progress && { total: progress.report.checked + (progress.report.targetChecked ?? 0), cursor: progress.cursor };
  };
}
