import { DEFAULT_STATE_DIR, FileCheckpointStore } from '../checkpoint/file-store.js';
import { MemoryCheckpointStore } from '../checkpoint/memory-store.js';
import { type CheckpointStore, ZERO_COUNTERS } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';
import { defaultRestoreId } from '../core/restore-config.js';
import { type RestoreEvent, runRestore } from '../runner/restore/run-restore.js';
import type { MigrationSummary } from '../runner/run-migration.js';
import { FileVerifyReportStore } from '../verify/report-store.js';
import { buildRestoreConfig, type RestoreFlags } from './build-restore-config.js';
import { redactUrl } from './endpoint-url.js';
import { formatCount } from './format.js';
import { gracefulStop, QUIT_CHECKPOINT_STANDS } from './graceful-stop.js';
import { createProgressReporter, type ProgressMode, type ProgressReporter } from './progress-reporter.js';
import { rdbLocator } from './rdb-locator.js';
import { formatRestoreSummary } from './restore-summary.js';
import { EXIT_MISMATCHES } from './verify-command.js';
import { formatVerifyResult } from './verify-summary.js';

export interface RestoreCommandFlags extends RestoreFlags {
  id?: string;
  fresh?: boolean;
  stateDir: string;
  progress: ProgressMode;
  json?: boolean;
  /** An S3-compatible endpoint for an s3:// file. */
  s3Endpoint?: string;
}

/**
 * `restore <file.rdb> --target URL`. Exit codes: 0 done, 1 failed (a corrupt file: the message names
 * the offset), 2 bad input, 3 verification found differences, 130 stopped by the user (resumable).
 */
export async function restoreCommand(file: string | undefined, flags: RestoreCommandFlags, argv: string[]): Promise<number> {
  const { config, warnings } = buildRestoreConfig(file, flags);
  const locate = rdbLocator(flags.s3Endpoint);
  const migrationId = flags.id ?? defaultRestoreId(config);
  if (!isValidMigrationId(migrationId))
    throw new ConfigError([`--id ${JSON.stringify(migrationId)}: use letters, digits, '.', '_' and '-' (at most 64)`]);
  const reporter = createProgressReporter(flags.progress);
  for (const w of warnings) reporter.log(`warning: ${w}`);
  const { store, release } = await openStore(config.dryRun, flags, migrationId);

  const interrupt = gracefulStop({ display: reporter, quitNotice: QUIT_CHECKPOINT_STANDS });
  try {
    const summary = await runRestore({
      config,
      migrationId,
      store,
      locate,
      shouldStop: interrupt.requested,
      onEvent: (event) => {
        logEvent(event, reporter, migrationId, config.target.addresses[0]!);
        reporter.handle(event);
      },
    });
    reporter.stop();
    return await reportOutcome(summary, config.dryRun, flags, argv);
  } finally {
    reporter.stop();
    interrupt.dispose();
    await release();
  }
}

async function reportOutcome(summary: MigrationSummary, dryRun: boolean, flags: RestoreCommandFlags, argv: string[]): Promise<number> {
  const json = () => JSON.stringify({ ...summary, error: summary.error?.message, totals: { ...ZERO_COUNTERS, ...summary.totals } });
  process.stdout.write(`${flags.json ? json() : formatRestoreSummary(summary)}\n`);
  if (summary.verify) {
    if (!flags.json) process.stdout.write(`${formatVerifyResult(summary.verify)}\n`);
    await new FileVerifyReportStore(flags.stateDir ?? DEFAULT_STATE_DIR, summary.migrationId).save(summary.verify);
  }
  if (summary.status === 'failed') {
    process.stderr.write(`redis-ferry: ${summary.error?.message ?? 'restore failed'}\n`);
    if (!dryRun) process.stderr.write(`Fix the cause, then resume with: ${resumeCommand(argv)}\n`);
    return 1;
  }
  if (summary.verifyError) process.stderr.write(`warning: the restore completed, but verification could not run: ${summary.verifyError}\n`);
  if (summary.verify && !summary.verify.passed) {
    process.stderr.write(
      `redis-ferry: verification found ${summary.verify.mismatches} differing key(s) ` +
        `(${summary.verify.maxMismatches} allowed); details above\n`,
    );
    return EXIT_MISMATCHES;
  }
  if (summary.status === 'interrupted') {
    process.stderr.write(`Stopped; checkpoint saved. Resume with: ${resumeCommand(argv)}\n`);
    return 130;
  }
  return 0;
}

function logEvent(event: RestoreEvent, reporter: ProgressReporter, migrationId: string, target: string): void {
  if (event.type === 'plan') {
    const { rdb, plan } = event;
    const keys = plan.units.reduce((n, u) => n + (u.rdbRange?.keys ?? 0), 0);
    reporter.log(
      `${event.resumed ? 'Resuming' : 'Starting'} restore ${migrationId}: ${rdb.identity.uri} (RDB version ${rdb.identity.rdbVersion}, ` +
        `${formatCount(keys)} keys selected) → ${event.target.kind} ${target}, ${plan.units.length} range unit(s)`,
    );
    for (const unit of plan.units) reporter.log(`  unit ${unit.id}: ${unit.label} → target db${unit.targetDb}`);
    if (plan.units.length === 0) reporter.log('  nothing to restore: the file has no keys in the selected dbs');
  } else if (event.type === 'note') {
    reporter.log(`note: ${event.message}`);
  } else if (event.type === 'verifying') {
    reporter.log(
      `Restore done; verifying every key against the file (${event.level}: existence, type, TTL` +
        `${event.level === 'full' ? ', values' : ''})…`,
    );
  } else if (event.type === 'retry') {
    reporter.log(`retry: unit ${event.unit.id} (attempt ${event.attempt + 1} in ${(event.delayMs / 1000).toFixed(1)}s): ${event.reason}`);
  }
}

/** The checkpoint store: in memory for a dry run, else the state dir's files, locked for this process (--fresh clears them first). */
async function openStore(
  dryRun: boolean,
  flags: RestoreCommandFlags,
  migrationId: string,
): Promise<{ store: CheckpointStore; release: () => Promise<void> }> {
  if (dryRun) return { store: new MemoryCheckpointStore(), release: async () => {} };
  const fileStore = new FileCheckpointStore(flags.stateDir ?? DEFAULT_STATE_DIR, migrationId);
  let unlock = await fileStore.lock();
  if (flags.fresh) {
    await unlock();
    await fileStore.clear();
    unlock = await fileStore.lock();
  }
  return {
    store: fileStore,
    release: async () => {
      await unlock();
      await fileStore.removeIfEmpty();
    },
  };
}

/** The command line that resumes this run: the same arguments without --fresh, passwords hidden. */
function resumeCommand(argv: string[]): string {
  const args = argv.filter((a) => a !== '--fresh').map((a) => redactUrl(a));
  return ['redis-ferry', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}
