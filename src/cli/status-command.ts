import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Command } from 'commander';
import type { MigrationRecord } from '../checkpoint/dynamo-migration.js';
import type { StoredUnit } from '../checkpoint/dynamo-store.js';
import { sumCounters } from '../core/contracts.js';
import { ConfigError, MigrationError } from '../core/errors.js';
import { formatBytes, formatCount } from './format.js';
import { awsError } from './start-command.js';
import { followStatusLines } from './status-follow.js';
import { readFollow } from './status-follow-read.js';
import type { WatchStream } from './watch-view.js';

/** `redis-ferry status <migration-id> --table <name>`: per-unit progress, read from DynamoDB. */
export interface StatusFlags {
  table: string;
  region?: string;
  json?: boolean;
  /** Redraw live progress until the migration ends (status-watch.ts). */
  watch?: boolean;
}

/** What a test (or the CLI) gives `status`: the client, where lines go, the clock; and for --watch, its stream and waits. */
export interface StatusDeps {
  dynamo?: DynamoDBClient;
  out?: (line: string) => void;
  now?: () => number;
  stream?: WatchStream;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

export async function statusCommand(migrationId: string, flags: StatusFlags, deps: StatusDeps = {}): Promise<number> {
  if (flags.watch && flags.json) throw new ConfigError(['--watch redraws progress and --json prints once: give one of them']);
  const out = deps.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = deps.now ?? Date.now;
  // Loaded here, not at the top: the local commands should not pay for the AWS SDK at startup.
  const [{ DynamoDBClient }, { DynamoMigrationState }, { DynamoCheckpointStore }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../checkpoint/dynamo-migration.js'),
    import('../checkpoint/dynamo-store.js'),
  ]);
  const dynamo = deps.dynamo ?? new DynamoDBClient(flags.region ? { region: flags.region } : {});
  if (flags.watch) {
    const { watchStatus } = await import('./status-watch.js');
    const printFinal = (out: (line: string) => void) => statusCommand(migrationId, { ...flags, watch: false }, { dynamo, out, now });
    return watchStatus(migrationId, flags, { ...deps, dynamo, printFinal });
  }
  let record: MigrationRecord | undefined;
  let units: StoredUnit[];
  try {
    record = await new DynamoMigrationState(dynamo, flags.table, migrationId).load();
    // Read-only: the store's owner and run are never written by listUnits.
    units = await new DynamoCheckpointStore(dynamo, flags.table, migrationId, { owner: 'status', runId: 'status' }).listUnits();
  } catch (error) {
    if ((error as Error)?.name === 'ResourceNotFoundException')
      throw new MigrationError(
        `table ${flags.table} does not exist${flags.region ? ` in ${flags.region}` : ''}: use the stack output CheckpointTableName`,
      );
    throw awsError(`read table ${flags.table}`, error);
  }
  if (!record) throw new MigrationError(`no migration ${migrationId} in table ${flags.table}`);
  const order = new Map((record.unitIds ?? []).map((id, i) => [id, i]));
  units.sort((a, b) => (order.get(a.checkpoint.unitId) ?? 1e9) - (order.get(b.checkpoint.unitId) ?? 1e9));
  const totals = sumCounters(units.map((u) => u.checkpoint.counters));
  const follow = await readFollow(dynamo, flags.table, migrationId);

  if (flags.json) {
    const { config: _config, ...migration } = record;
    out(
      JSON.stringify(
        {
          migration,
          totals,
          units: units.map((u) => ({ ...u.checkpoint, label: u.descriptor?.label, lease: u.lease, errorType: u.errorType })),
          ...(follow.records.length > 0 ? { follow: follow.records, cutoverRequestedAt: follow.cutoverRequestedAt } : {}),
        },
        null,
        2,
      ),
    );
    return 0;
  }

  const ago = (ms?: number) => (ms === undefined ? '' : `${Math.max(0, Math.round((now() - ms) / 1000))}s ago`);
  const done = units.filter((u) => u.checkpoint.status === 'done').length;
  out(
    `Migration ${migrationId}: ${record.status ?? 'unknown'}, ${done}/${units.length} ` +
      `units done${record.round !== undefined ? `, round ${record.round}` : ''}`,
  );
  if (record.activeRun) out(`  run       ${record.activeRun} (last heartbeat ${ago(record.heartbeatAt)})`);
  if (record.createdAt) out(`  created   ${record.createdAt}${record.finishedAt ? `, finished ${record.finishedAt}` : ''}`);
  if (record.lastError) out(`  error     ${record.lastErrorType ? `${record.lastErrorType}: ` : ''}${record.lastError}`);
  out(
    `  copied    ${formatCount(totals.copied)} keys (${formatBytes(totals.bytes)}) of ${formatCount(totals.scanned)} ` +
      `scanned, in ${formatCount(totals.batches)} batches`,
  );
  out('');
  const rows = units.map((u) => {
    const c = u.checkpoint;
    const lease = u.lease && c.status !== 'done' ? `leased until ${new Date(u.lease.expiresAt).toISOString().slice(11, 19)}Z` : '';
    return [
      c.unitId,
      u.descriptor?.label ?? '',
      c.status,
      formatCount(c.counters.copied),
      formatCount(c.counters.scanned),
      formatBytes(c.counters.bytes),
      c.status === 'done' ? '' : c.cursor,
      lease,
    ];
  });
  const header = ['unit', 'source', 'status', 'copied', 'scanned', 'bytes', 'cursor', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows])
    out(
      `  ${row
        .map((cell, i) => (i >= 3 && i <= 5 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd()}`,
    );
  for (const u of units)
    if (u.checkpoint.status === 'failed' && u.checkpoint.error)
      out(`  failed ${u.checkpoint.unitId}: ${u.errorType ? `${u.errorType}: ` : ''}${u.checkpoint.error}`);
  for (const line of followStatusLines(follow.records, record.unitIds ?? [], now(), follow.cutoverRequestedAt)) out(line);
  return 0;
}

/** Registers `status` on the CLI. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("show a cloud migration's per-unit progress, read from its DynamoDB checkpoint table")
    .argument('<migration-id>', 'the migration id (printed by `redis-ferry start`)')
    .requiredOption('--table <name>', 'the checkpoint table (stack output CheckpointTableName)')
    .option('--region <region>', 'AWS region (default: from the AWS environment)')
    .option('--json', 'print the migration and its units as JSON')
    .option('--watch', 'redraw live progress (keys/s, ETA) every 2 s until the migration ends; exit 0 finished, 1 failed')
    .action(async (migrationId: string, flags: StatusFlags) => {
      // Ctrl-C ends the watching (not the migration), leaving the terminal as it was.
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      process.once('SIGINT', onSignal);
      try {
        process.exitCode = await statusCommand(migrationId, flags, { signal: interrupt.signal });
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
