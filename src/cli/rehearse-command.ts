import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, Option } from 'commander';
import { checkStartInput, parseExecutionInput, type StartExecutionInput, toExecutionInput } from '../cloud/execution-input.js';
import type { SecretRefs } from '../cloud/secret-refs.js';
import { ConfigError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';
import { localSecretValues } from '../rehearse/secret-values.js';
import { buildConfig } from './build-config.js';
import { EXIT_MISMATCHES } from './verify-command.js';

/**
 * `redis-ferry rehearse <config.toml | input.json>`: runs the workflow `cdk deploy` would deploy on
 * this machine, with the user's execution input, against the Redis servers it names: the
 * synthesized state machine over the Lambda bundles, DynamoDB and Secrets Manager served locally.
 * It needs a checkout (it synthesizes the CDK app, and runs on devDependencies), so the published
 * CLI only says where to run it.
 */
export interface RehearseFlags {
  secrets?: string;
  dryRun?: boolean;
  id?: string;
  assembly?: string;
  stack?: string;
  context?: string[];
  lambdaLogs?: boolean;
}

export interface RehearseDeps {
  out?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** The checkout to synthesize in (default: the one this file is in). */
  checkout?: string;
}

/** A validated start input, the id it runs under, and the secrets it names. */
export interface CheckedInput {
  input: StartExecutionInput;
  migrationId: string;
  refs: SecretRefs;
}

export async function rehearseCommand(inputPath: string, flags: RehearseFlags, deps: RehearseDeps = {}): Promise<number> {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = deps.env ?? process.env;
  const checkout = deps.checkout ?? findCheckout(dirname(fileURLToPath(import.meta.url)));
  if (!checkout || !existsSync(join(checkout, 'node_modules', 'aws-local-stepfunctions')))
    throw new ConfigError([
      'rehearse runs from a checkout of redis-ferry with its devDependencies (it synthesizes the CDK app and runs its Lambda bundles): ' +
        'git clone the repository, `npm ci`, then `npm run ferry -- rehearse …`',
    ]);
  const context = parseContext(flags.context ?? []);
  const checked = checkInput(loadInput(inputPath, flags, env));
  const secrets = localSecretValues(checked.refs, {
    env,
    ...(flags.secrets ? { file: { path: flags.secrets, text: readText(flags.secrets) } } : {}),
  });
  // Loaded here: the rest of the CLI should not pay for the local workflow at startup.
  const { runRehearsal } = await import('./rehearse-run.js');
  const outcome = await runRehearsal({ checkout, checked, secrets, flags, context, out });
  if (outcome === 'VerificationFailed') return EXIT_MISMATCHES;
  return outcome === 'SUCCEEDED' ? 0 : outcome === 'ConfigError' ? 2 : 1;
}

/** A redis-shake config file becomes an input as `start` would send it; a JSON file is the input itself. */
function loadInput(path: string, flags: RehearseFlags, env: NodeJS.ProcessEnv): unknown {
  if (flags.id !== undefined && !isValidMigrationId(flags.id))
    throw new ConfigError([`--id ${JSON.stringify(flags.id)}: use letters, digits, '.', '_' and '-' (at most 64)`]);
  if (!path.toLowerCase().endsWith('.json')) {
    // As `start` does: the password variables must not fill a plaintext password into the input.
    const { REDIS_FERRY_SOURCE_PASSWORD: _s, REDIS_FERRY_TARGET_PASSWORD: _t, ...rest } = env;
    const { config } = buildConfig(path, { dryRun: flags.dryRun }, rest);
    return toExecutionInput(config, flags.id);
  }
  const text = readText(path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([`${path}: not JSON (${(error as Error).message}); expected an execution input {"config": …}`]);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw; // the Plan's check says what is wrong
  const input = { ...(raw as Record<string, unknown>) };
  if (flags.id) input.migrationId = flags.id;
  if (flags.dryRun && input.config && typeof input.config === 'object') input.config = { ...input.config, dryRun: true };
  return input;
}

/**
 * Checks the input with the Plan task's own functions, so a mistake fails here, before the synth,
 * with the cause the deployed execution would end with.
 */
function checkInput(raw: unknown): CheckedInput {
  const parsed = asPlanWould(() => parseExecutionInput(raw));
  if (parsed.kind !== 'start')
    throw new ConfigError([
      'input: rehearse takes the input that starts a run ({"config": …}); later rounds ' +
        '({migrationId, runId, round}) are started by the workflow',
    ]);
  const { cloud, migrationId } = asPlanWould(() => checkStartInput(parsed));
  const { kind: _kind, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: _by, ...input } = parsed;
  return { input, migrationId, refs: cloud.refs };
}

/** Runs one of the Plan task's checks; its ConfigError becomes the cause the deployed execution would end with. */
function asPlanWould<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // RecordPlanFailure's cause, word for word.
    throw new ConfigError([`the deployed workflow would fail in Plan with ConfigError: the migration did not start: ${error.message}`]);
  }
}

function parseContext(pairs: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new ConfigError([`--context ${JSON.stringify(pair)}: expected KEY=VALUE, e.g. redis-ferry:maxConcurrency=4`]);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return context;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
}

/** The nearest directory up from `from` that holds the CDK app (cdk.json and infra/app.ts). */
export function findCheckout(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdk.json')) && existsSync(join(dir, 'infra', 'app.ts'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description(
      'run the serverless workflow on this machine before `cdk deploy`: the synthesized state machine and Lambda bundles, ' +
        'against the Redis servers the input names, DynamoDB and Secrets Manager served locally (from a checkout only)',
    )
    .argument('<input>', 'redis-shake scan config (as for `start`: passwords are secret ARNs), or an execution input .json')
    .option('--secrets <file>', 'JSON {"<secret ARN>": "<password>" or {"password": …, "username": …}}')
    .option('--dry-run', 'read and count everything, write nothing')
    .option('--id <id>', 'migration id (default: as `start` derives it)')
    .option('--assembly <dir>', 'run this cloud assembly (`npx cdk synth -o DIR`) instead of synthesizing one')
    .option('--stack <name>', 'the stack in the assembly (default: the only one)')
    .addOption(
      new Option('-c, --context <key=value...>', 'CDK context for the synth, as `cdk synth -c` (e.g. redis-ferry:maxConcurrency=4)'),
    )
    .option('--lambda-logs', "print the functions' log lines (stderr)")
    .addHelpText(
      'after',
      [
        '',
        'Passwords: REDIS_FERRY_SOURCE_PASSWORD / REDIS_FERRY_TARGET_PASSWORD answer the source and target',
        'passwordSecretArn; --secrets answers any secret. Nothing reaches AWS.',
        'Exit codes: 0 done, 1 failed, 2 bad input, 3 verification failed.',
        'Checkout only: in a clone, after `npm ci`, run `npm run ferry -- rehearse …` (the published CLI',
        'has neither the CDK app nor the local workflow).',
      ].join('\n'),
    )
    .action(async (input: string, flags: RehearseFlags) => {
      process.exitCode = await rehearseCommand(input, flags);
    });
}
