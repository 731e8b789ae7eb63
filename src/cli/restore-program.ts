import { type Command, Option } from 'commander';
import { DEFAULT_STATE_DIR } from '../checkpoint/file-store.js';
import { argsFrom, dbList, dbMap, positiveNumber } from './option-parsers.js';
import { restoreCommand } from './restore-command.js';

/** `redis-ferry restore`: an RDB file (or a redis-shake restore config) into a target, resumable, several byte ranges at once. */
export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description(
      'restore an RDB file (a BGSAVE, a managed service backup) into the target, several byte ranges at once; ' +
        'running the same command again resumes',
    )
    .argument('[file]', 'the .rdb file, or a redis-shake restore config (.toml: v4 [rdb_reader] or v3 type = "restore")')
    .option('--target <url>', 'target, e.g. redis://host:6380 (add ?cluster=true for a cluster)')
    .option(
      '--parallel <n>',
      'byte ranges restored at once (default: one per 5 ms of round trip to the target, at most one per 64 MiB of file and --concurrency)',
      positiveNumber,
    )
    .option('--s3-endpoint <url>', 'for an s3:// file: an S3-compatible store (MinIO, Ceph…), e.g. http://10.0.0.9:9000')
    .option('--id <id>', 'restore id (default: a hash of file name, target and options)')
    .option('--fresh', 'forget the checkpoint of this restore and start over')
    .option('--state-dir <dir>', 'where checkpoints are kept', DEFAULT_STATE_DIR)
    .option('--rate-limit <keys/s>', 'cap on keys restored per second (0 = none)', positiveNumber)
    .option('--dry-run', 'read and count everything, write nothing')
    .option('--no-functions', "leave the file's Redis functions out (loaded with FUNCTION LOAD by default)")
    .addOption(new Option('--on-existing <policy>', 'when the target already has a key').choices(['fail', 'replace', 'skip']))
    .addOption(
      new Option('--on-too-big <policy>', "a string longer than the target's proto-max-bulk-len: stop (default) or skip it").choices([
        'stop',
        'skip',
      ]),
    )
    .option('--count <n>', 'keys per batch', positiveNumber)
    .addOption(
      new Option('--mode <mode>', 'dump: RESTORE of the bytes in the file (decodes for an older target); struct: decode every key').choices(
        ['dump', 'struct'],
      ),
    )
    .option(
      '--big-key-threshold <bytes>',
      'keys larger than this in the file are decoded and written by type in chunks (0: never)',
      positiveNumber,
    )
    .addOption(
      new Option(
        '--verify <level>',
        'check against the file after the restore: none, quick (existence, type, TTL) or full (values too)',
      ).choices(['none', 'quick', 'full']),
    )
    .option('--max-mismatches <n>', 'differing keys tolerated by the check (default 0)', positiveNumber)
    .option('--match <pattern>', 'restore only keys matching this glob')
    .addOption(new Option('--type <type>', 'restore only keys of this type').choices(['string', 'list', 'set', 'zset', 'hash', 'stream']))
    .option('--dbs <list>', 'dbs of the file to restore, e.g. 0,1 (default: all)', dbList)
    .option('--db-map <pairs>', 'file db:target db pairs, e.g. 1:0,2:3', dbMap)
    .option('--concurrency <n>', 'range units restored at once (0 = all)', positiveNumber)
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'plain', 'none']).default('auto'))
    .option('--json', 'print the final summary as JSON')
    .action(async (file: string | undefined, flags) => {
      process.exitCode = await restoreCommand(file, flags, argsFrom('restore'));
    });
}
