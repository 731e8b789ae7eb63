import type { Command } from 'commander';
import {
  parseCloudConfig,
  resolveMigrationId,
  type StartExecutionInput,
  toExecutionInput,
  toRestoreExecutionInput,
} from '../cloud/execution-input.js';
import { startExecutionName } from '../cloud/execution-names.js';
import { isRestoreConfigFile } from '../config/read-restore-config.js';
import { ConfigError, MigrationError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';
import { buildConfig } from './build-config.js';
import { buildRestoreConfig } from './build-restore-config.js';

/**
 * `redis-ferry start <config.toml> --state-machine <arn>`: turns a redis-shake scan config, or a
 * restore config whose file is an s3:// URI (with Secrets Manager ARNs where the passwords go), into
 * the state machine's execution input and starts it. The execution is named after the migration
 * id, so starting the same migration twice while it runs returns the running execution instead of
 * a second one.
 */
export interface StartFlags {
  stateMachine: string;
  id?: string;
  restart?: boolean;
  region?: string;
  print?: boolean;
  dryRun?: boolean;
  rateLimit?: number;
}

/** The part of SFNClient the command uses (a test passes its own). */
export interface SfnLike {
  send(command: object): Promise<unknown>;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export async function startCommand(
  configPath: string,
  flags: StartFlags,
  deps: { sfn?: SfnLike; out?: (line: string) => void } = {},
): Promise<number> {
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const arnMatch = STATE_MACHINE_ARN.exec(flags.stateMachine ?? '');
  if (!arnMatch)
    throw new ConfigError([
      `--state-machine ${JSON.stringify(flags.stateMachine)}: expected a state machine ` +
        `ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME), see the stack output StateMachineArn`,
    ]);
  if (flags.id !== undefined && !isValidMigrationId(flags.id))
    throw new ConfigError([`--id ${JSON.stringify(flags.id)}: use letters, digits, '.', '_' and '-' (at most 64)`]);

  // ${VAR} in the file still works; the password variables do not: they would put a plaintext
  // password into the execution input.
  const { REDIS_FERRY_SOURCE_PASSWORD: _s, REDIS_FERRY_TARGET_PASSWORD: _t, ...env } = process.env;
  const options = { dryRun: flags.dryRun, rateLimit: flags.rateLimit };
  const draft = isRestoreConfigFile(configPath, env)
    ? toRestoreExecutionInput(buildRestoreConfig(configPath, options, env).config, flags.id)
    : toExecutionInput(buildConfig(configPath, options, env).config, flags.id);
  const migrationId = resolveMigrationId({ kind: 'start', migrationId: flags.id, config: draft.config }, parseCloudConfig(draft.config));
  const input: StartExecutionInput = { ...draft, migrationId };
  if (flags.print) {
    out(JSON.stringify(input, null, 2));
    return 0;
  }

  const name = startExecutionName(migrationId, flags.restart ? `restart-${compactNow()}` : undefined);
  // Loaded here, not at the top: the local commands should not pay for the AWS SDK at startup.
  const { DescribeExecutionCommand, SFNClient, StartExecutionCommand } = await import('@aws-sdk/client-sfn');
  const sfn = deps.sfn ?? new SFNClient({ region: flags.region ?? arnMatch[1] });
  try {
    const started = (await sfn.send(
      new StartExecutionCommand({ stateMachineArn: flags.stateMachine, name, input: JSON.stringify(input) }),
    )) as { executionArn?: string };
    out(`Started migration ${migrationId}: execution ${started.executionArn}`);
    out(`Follow it with: redis-ferry status ${migrationId} --table <checkpoint table>`);
    return 0;
  } catch (error) {
    if ((error as Error)?.name !== 'ExecutionAlreadyExists') throw awsError('start the execution', error);
    const executionArn = `${flags.stateMachine.replace(':stateMachine:', ':execution:')}:${name}`;
    const described = (await sfn.send(new DescribeExecutionCommand({ executionArn })).catch(() => undefined)) as
      | { status?: string }
      | undefined;
    const status = described?.status ?? 'unknown';
    if (status === 'RUNNING') {
      throw new MigrationError(
        `migration ${migrationId} is already running as ${executionArn} (started with a ` +
          `different input); wait for it, or stop it before starting again`,
      );
    }
    throw new MigrationError(
      `an execution for migration ${migrationId} already ran (${executionArn}, ${status}). ` +
        `To continue from its checkpoints, run this command again with --restart` +
        (status === 'SUCCEEDED'
          ? ' (it will find every unit done)'
          : `, or redrive it: aws stepfunctions redrive-execution --execution-arn ${executionArn}`),
    );
  }
}

/** An AWS SDK failure as one line that names what was being done. */
export function awsError(action: string, error: unknown): MigrationError {
  const name = (error as Error)?.name ?? 'Error';
  const hint = /CredentialsProviderError|UnrecognizedClient|InvalidSignature|ExpiredToken/.test(name)
    ? ' (check your AWS credentials: AWS_PROFILE or AWS_ACCESS_KEY_ID)'
    : '';
  return new MigrationError(`could not ${action}: ${name}: ${(error as Error)?.message ?? error}${hint}`, { cause: error });
}

function compactNow(): string {
  return new Date()
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Registers `start` on the CLI. */
export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('start the migration on AWS Step Functions (deployed with `npx cdk deploy`); passwords must be Secrets Manager ARNs')
    .argument(
      '<config>',
      'redis-shake scan config, or restore config with an s3:// filepath; passwords are secret ARNs (arn:aws:secretsmanager:…)',
    )
    .requiredOption('--state-machine <arn>', 'the state machine ARN (stack output StateMachineArn)')
    .option('--id <id>', 'migration id (default: a hash of source, target and options)')
    .option('--restart', 'start a new execution of a migration whose execution already ran; it resumes from the checkpoints')
    .option('--dry-run', 'read and count everything, write nothing (use its own --id)')
    .option('--rate-limit <keys/s>', 'cap on keys read from the source per second, over all units', Number)
    .option('--region <region>', "AWS region (default: the state machine's)")
    .option('--print', 'print the execution input instead of starting it')
    .action(async (config: string, flags: StartFlags) => {
      process.exitCode = await startCommand(config, flags);
    });
}
