import { DynamoVerifyProgress } from '../checkpoint/dynamo-verify.js';
import { LAMBDA_ENV } from '../cloud/deploy-names.js';
import { startExecutionName } from '../cloud/execution-names.js';
import { synthToTemp, type TempAssembly } from '../rehearse/cdk-synth.js';
import { readAssemblyStack } from '../rehearse/cloud-assembly.js';
import { openRehearsal, type Rehearsal } from '../rehearse/rehearsal.js';
import { rehearsalReport } from '../rehearse/run-report.js';
import { formatCount } from './format.js';
import type { CheckedInput, RehearseFlags } from './rehearse-command.js';
import { statusCommand } from './status-command.js';

export interface RehearsalRequest {
  checkout: string;
  checked: CheckedInput;
  secrets: ReadonlyMap<string, string>;
  flags: RehearseFlags;
  context: Record<string, string>;
  out: (line: string) => void;
}

/**
 * Synthesizes (or reads) the assembly, deploys it locally, runs the input to its last round with a
 * live view, then reports what the deployed workflow would do and the checkpoint items it leaves.
 * Returns 'SUCCEEDED' or the error the execution failed with. Removes everything it made, on
 * Ctrl-C too.
 */
export async function runRehearsal(request: RehearsalRequest): Promise<string> {
  const { out, flags, checked } = request;
  let temp: TempAssembly | undefined;
  let rehearsal: Rehearsal | undefined;
  const interrupted = () => {
    temp?.cleanup();
    process.stderr.write('\nredis-ferry: rehearsal stopped; nothing was kept (its checkpoints lived in memory)\n');
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    if (!flags.assembly) {
      const keys = Object.keys(request.context);
      out(`cdk synth (cdk.json${keys.length > 0 ? ` and -c ${keys.join(', ')}` : ''}) into a temporary directory…`);
      const started = Date.now();
      temp = await synthToTemp(request.checkout, request.context);
      out(`  synthesized in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const stack = readAssemblyStack(flags.assembly ?? temp!.outdir, flags.stack);
    const lambdaLog = flags.lambdaLogs ? (line: string) => void process.stderr.write(`${line}\n`) : undefined;
    rehearsal = await openRehearsal({ stack: stack, secrets: request.secrets, out, lambdaLog });
    preamble(rehearsal, stack.stackName, request);
    const run = await rehearsal.run(checked.input, startExecutionName(checked.migrationId));
    out('');
    for (const line of rehearsalReport(run)) out(line);
    await printItems(rehearsal, checked.migrationId, out);
    return run.final.status === 'SUCCEEDED' ? 'SUCCEEDED' : (run.final.error?.name ?? 'Error');
  } finally {
    process.removeListener('SIGINT', interrupted);
    await rehearsal?.close();
    temp?.cleanup();
  }
}

/** What is about to run, with which slice settings, and what it will touch. */
function preamble(rehearsal: Rehearsal, stackName: string, request: RehearsalRequest): void {
  const { out, checked } = request;
  const { machine } = rehearsal;
  out(`Rehearsing migration ${checked.migrationId}: state machine ${machine.stateMachineName} of stack ${stackName}, run by`);
  out('  aws-local-stepfunctions over its Lambda bundles; DynamoDB (dynalite) and Secrets Manager are served in this process.');
  for (const [state, id] of machine.lambdaStates) {
    const fn = machine.functions.get(id)!;
    // The slice functions (copy, verify) are the ones with a safety margin.
    if (fn.environment[LAMBDA_ENV.safetyMarginMs] === undefined) continue;
    const budget = fn.environment[LAMBDA_ENV.timeBudgetMs] ?? fn.environment[LAMBDA_ENV.verifyTimeBudgetMs];
    out(`  ${state}: timeout ${fn.timeoutSeconds} s${budget !== undefined ? `, slices of at most ${budget} ms` : ''}`);
  }
  const config = checked.input.config as { dryRun?: boolean; target?: { addresses?: string[] } };
  const target = config.target?.addresses?.join(', ') ?? '?';
  out(config.dryRun ? '  Dry run: reads the source, writes nothing.' : `  This copies into the target (${target}); --dry-run only reads.`);
  for (const arn of rehearsal.ungranted(secretArns(checked)))
    out(
      `  warning: the synthesized functions may not read secret ${arn}: the deployed Plan would fail reading it. ` +
        'Deploy with -c redis-ferry:secretArns=… (or list it in cdk.json).',
    );
}

function secretArns(checked: CheckedInput): string[] {
  return [checked.refs.source, checked.refs.target].flatMap((r) => Object.values(r)).filter((a): a is string => typeof a === 'string');
}

/** The checkpoint table as `redis-ferry status` shows it on AWS, and the verify items. */
async function printItems(rehearsal: Rehearsal, migrationId: string, out: (line: string) => void): Promise<void> {
  const { dynamo, tableName } = rehearsal;
  const reader = { owner: 'rehearsal', runId: 'rehearsal' };
  const verified = await new DynamoVerifyProgress(dynamo.client, tableName, migrationId, reader).list();
  out('');
  out(`DynamoDB items left by the run (as \`redis-ferry status ${migrationId} --table …\` would show them):`);
  try {
    await statusCommand(migrationId, { table: tableName }, { dynamo: dynamo.client, out: (line) => out(line ? `  ${line}` : '') });
  } catch (error) {
    out(`  ${(error as Error).message}`); // a Plan that failed before claiming leaves no item
    return;
  }
  if (verified.length === 0) return;
  const done = verified.filter((v) => v.done).length;
  const checked = verified.reduce((sum, v) => sum + v.report.checked, 0);
  out(`    + ${verified.length} verify item(s) (level ${verified[0]!.level}): ${done} done, ${formatCount(checked)} keys checked`);
}
