import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_STATE_DIR } from '../checkpoint/file-store.js';
import { ConfigError, MigrationError } from '../core/errors.js';
import { cloudCutoverCommand } from './cutover-cloud.js';
import { cutoverCommand } from './cutover-command.js';
import { migrateCommand } from './migrate-command.js';
import { argsFrom, dbList, dbMap, positiveNumber } from './option-parsers.js';
import { registerRehearseCommand } from './rehearse-command.js';
import { registerRestoreCommand } from './restore-program.js';
import { registerStartCommand } from './start-command.js';
import { registerStatusCommand } from './status-command.js';
import { EXIT_MISMATCHES, verifyCommand } from './verify-command.js';
import { version } from './version.js';

/** `30s`, `500ms`, `2m` or a plain number of seconds, in milliseconds. */
export function duration(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('must be a duration such as 30s, 500ms or 2m');
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000;
  return Math.round(Number(m[1]) * scale);
}

export function buildProgram(): Command {
  const program = new Command('redis-ferry')
    .description('Copy Redis data with SCAN + DUMP + RESTORE, resumable, where replication is unavailable')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  copyOptions(program.command('migrate'))
    .description('copy every key from the source to the target; running the same command again resumes')
    .option('--reconcile', 'copy only the keys that differ and delete target keys the source lacks (see reconcile)')
    .option('--no-delete', 'with --reconcile: keep the target keys the source lacks')
    .addOption(
      new Option(
        '--follow [mode]',
        "live migration: follow the source's writes after the copy until cutover (Ctrl-C once, or redis-ferry cutover); " +
          'mode events (keyspace notifications, the default) or rescan (repeated reconcile passes, where notifications are off)',
      ).choices(['events', 'rescan']),
    )
    .option('--follow-config-set', 'with --follow: set notify-keyspace-events on the source for the run, restore it afterwards')
    .option('--cutover-when-idle <duration>', 'with --follow: cut over by itself once no write arrived for this long, e.g. 30s', duration)
    .option('--quiet-period <duration>', 'with --follow: how long no write may arrive before "safe to switch" (default 2s)', duration)
    .action(async (config: string | undefined, flags) => {
      process.exitCode = await migrateCommand(config, flags, argsFrom('migrate'));
    });

  program
    .command('cutover')
    .description('tell a running `migrate --follow` to cut over: drain, wait for quiet, verify, finish')
    .argument('<migration-id>', 'the id the follow run printed when it started')
    .option('--state-dir <dir>', 'where migrations keep their state', DEFAULT_STATE_DIR)
    .option('--table <name>', 'a migration running on AWS: its checkpoint table (stack output CheckpointTableName)')
    .option('--region <region>', 'with --table: AWS region (default: from the AWS environment)')
    .action(async (id: string, flags: { stateDir: string; table?: string; region?: string }) => {
      process.exitCode = flags.table
        ? await cloudCutoverCommand(id, { table: flags.table, ...(flags.region ? { region: flags.region } : {}) })
        : await cutoverCommand(id, flags.stateDir);
    });

  copyOptions(program.command('reconcile'))
    .description(
      'make the target equal the source within the selection, in one resumable pass: copy keys that are ' +
        'missing or differ, delete target keys the source lacks; a completed pass run again starts a new one',
    )
    .option('--no-delete', 'keep the target keys the source lacks')
    .action(async (config: string | undefined, flags) => {
      process.exitCode = await migrateCommand(config, { ...flags, reconcile: true }, argsFrom('reconcile'));
    });

  program
    .command('verify')
    .description(`compare the target with the source; exit ${EXIT_MISMATCHES} when they differ by more than --max-mismatches keys`)
    .argument('[config]', 'the same config file as migrate (filters and db mapping apply)')
    .option('--source <url>', 'source, e.g. redis://:password@host:6379 (rediss:// for TLS)')
    .option('--target <url>', 'target, e.g. redis://host:6380')
    .addOption(
      new Option('--verify <level>', 'quick: existence, type and TTL; full: the values too').choices(['quick', 'full']).default('full'),
    )
    .option('--max-mismatches <n>', 'differing keys tolerated before the exit code says failure', positiveNumber, 0)
    .option('--examples <n>', 'example keys shown per kind of difference', positiveNumber, 5)
    .option('--ttl-tolerance <ms>', 'largest TTL difference that still counts as equal', positiveNumber, 1000)
    .option('--count <n>', 'keys per SCAN call', positiveNumber)
    .option('--match <pattern>', 'verify only keys matching this glob (as the copy did)')
    .addOption(
      new Option('--type <type>', 'verify only keys of this type (as the copy did)').choices([
        'string',
        'list',
        'set',
        'zset',
        'hash',
        'stream',
      ]),
    )
    .option('--dbs <list>', 'source dbs to verify, e.g. 0,1 (default: every non-empty db)', dbList)
    .option('--db-map <pairs>', 'source:target db pairs, e.g. 1:0,2:3', dbMap)
    .option('--no-extra-check', 'do not look for keys the target has and the source does not')
    .option('--id <id>', 'migration id the result is stored with (default: as migrate derives it)')
    .option('--state-dir <dir>', 'where migrations keep their state', DEFAULT_STATE_DIR)
    .option('--json', 'print the result as JSON')
    .action(async (config: string | undefined, flags) => {
      process.exitCode = await verifyCommand(config, flags);
    });

  registerRestoreCommand(program);

  // Cloud commands (AWS SDK): start an execution of the deployed state machine, read its progress.
  registerStartCommand(program);
  registerStatusCommand(program);
  // The same workflow, run on this machine before deploying it (from a checkout).
  registerRehearseCommand(program);

  return program;
}

/** The options `migrate` and `reconcile` share: what to copy, from where to where, and how. */
function copyOptions(command: Command): Command {
  return command
    .argument('[config]', 'redis-shake scan config (v3 type = "scan" or v4 [scan_reader]/[redis_writer])')
    .option('--source <url>', 'source, e.g. redis://:password@host:6379 (rediss:// for TLS)')
    .option('--target <url>', 'target, e.g. redis://host:6380 (add ?cluster=true for a cluster)')
    .option('--id <id>', 'migration id (default: a hash of source, target and options)')
    .option('--fresh', 'forget the checkpoint of this migration and start over')
    .option('--state-dir <dir>', 'where checkpoints are kept', DEFAULT_STATE_DIR)
    .option('--rate-limit <keys/s>', 'cap on keys read from the source per second (0 = none)', positiveNumber)
    .option('--dry-run', 'read and count everything, write nothing')
    .option('--no-functions', "leave the source's Redis 7 functions out (copied first with FUNCTION DUMP/RESTORE by default)")
    .addOption(new Option('--on-existing <policy>', 'when the target already has a key').choices(['fail', 'replace', 'skip']))
    .addOption(
      new Option('--on-too-big <policy>', "a string longer than the target's proto-max-bulk-len: stop (default) or skip it").choices([
        'stop',
        'skip',
      ]),
    )
    .option('--count <n>', 'keys per SCAN call (batch size)', positiveNumber)
    .option('--no-adaptive-count', 'keep COUNT fixed even when SCAN round trips are slow')
    .addOption(
      new Option('--mode <mode>', 'dump: DUMP/RESTORE (falls back to by-type on an older target); struct: by type from the start').choices([
        'dump',
        'struct',
      ]),
    )
    .option('--big-key-threshold <bytes>', 'keys larger than this are copied by type in chunks (0: never)', positiveNumber)
    .addOption(
      new Option(
        '--verify <level>',
        'check after the copy: none, quick (existence, type, TTL) or full (values too); default quick',
      ).choices(['none', 'quick', 'full']),
    )
    .option('--max-mismatches <n>', 'differing keys tolerated by the check (default 0)', positiveNumber)
    .option('--no-extra-check', 'the check does not look for keys the target has and the source does not')
    .option('--match <pattern>', 'copy only keys matching this glob (SCAN MATCH)')
    .addOption(
      new Option('--type <type>', 'copy only keys of this type (SCAN TYPE)').choices(['string', 'list', 'set', 'zset', 'hash', 'stream']),
    )
    .option('--dbs <list>', 'source dbs to copy, e.g. 0,1 (default: every non-empty db)', dbList)
    .option('--db-map <pairs>', 'source:target db pairs, e.g. 1:0,2:3', dbMap)
    .option('--concurrency <n>', 'units copied at once (0 = all)', positiveNumber)
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'none']).default('auto'))
    .option('--json', 'print the final summary as JSON');
}

const FOLLOW_MODES = new Set(['events', 'rescan']);

/**
 * `--follow` took no value before it took an optional mode, so `migrate --follow shake.toml` meant
 * the config file; commander would now read the file name as the mode. A word after `--follow`
 * that is not a mode is moved before it: the same command line as before, read as before.
 */
export function placeFollowMode(argv: readonly string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i] === '--') break;
    const next = out[i + 1]!;
    if (out[i] === '--follow' && !next.startsWith('-') && !FOLLOW_MODES.has(next)) [out[i], out[i + 1]] = [next, out[i]!];
  }
  return out;
}

/** Runs the CLI; every expected failure is one line on stderr and an exit code, never a stack. */
export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(placeFollowMode(argv));
  } catch (error) {
    const err = error as { code?: string; exitCode?: number };
    if (typeof err.code === 'string' && err.code.startsWith('commander.')) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`redis-ferry: ${problem}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof MigrationError) {
      process.stderr.write(`redis-ferry: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`redis-ferry: unexpected error: ${(error as Error)?.message ?? error}\n`);
    if (process.env.REDIS_FERRY_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
    else process.stderr.write('(set REDIS_FERRY_DEBUG=1 for the stack trace)\n');
    process.exitCode = 1;
  }
}
