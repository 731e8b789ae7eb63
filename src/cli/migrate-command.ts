import { DEFAULT_STATE_DIR, FileCheckpointStore } from '../checkpoint/file-store.js';
import { MemoryCheckpointStore } from '../checkpoint/memory-store.js';
import type { MigrationConfig } from '../core/config.js';
import { type CheckpointStore, ZERO_COUNTERS } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { defaultMigrationId, defaultReconcileId, isValidMigrationId } from '../core/migration-id.js';
import { type MigrationSummary, type RunEvent, runMigration } from '../runner/run-migration.js';
import { FileVerifyReportStore } from '../verify/report-store.js';
import { buildConfig, type CopyFlags } from './build-config.js';
import { redactUrl } from './endpoint-url.js';
import { followControl } from './follow-control.js';
import { gracefulStop, QUIT_CHECKPOINT_STANDS } from './graceful-stop.js';
import { createProgressReporter, type ProgressMode, type ProgressReporter } from './progress-reporter.js';
import { formatSummary } from './summary.js';
import { EXIT_MISMATCHES } from './verify-command.js';
import { formatVerifyResult } from './verify-summary.js';

export interface MigrateFlags extends CopyFlags {
  id?: string;
  fresh?: boolean;
  stateDir: string;
  progress: ProgressMode;
  json?: boolean;
  /** A reconcile pass (`reconcile`, or `migrate --reconcile`). */
  reconcile?: boolean;
  /** false with --no-delete: the pass keeps target keys the source lacks. */
  delete?: boolean;
}

/**
 * `migrate` and `reconcile`. Exit codes: 0 done, 1 failed, 2 bad input, 3 verification found
 * differences, 130 stopped by the user (resumable).
 */
export async function migrateCommand(configPath: string | undefined, flags: MigrateFlags, argv: string[]): Promise<number> {
  const reconcile = flags.reconcile === true;
  checkReconcileFlags(flags);
  const { config, warnings } = buildConfig(configPath, flags);
  const deletes = flags.delete !== false;
  if (reconcile && config.mode === 'struct')
    throw new ConfigError(['reconcile compares DUMP payloads, so it needs DUMP on both sides: set mode = "dump" (or --mode dump)']);
  const migrationId = flags.id ?? (reconcile ? defaultReconcileId(config, deletes) : defaultMigrationId(config));
  if (!isValidMigrationId(migrationId))
    throw new ConfigError([`--id ${JSON.stringify(migrationId)}: use letters, digits, '.', '_' and '-' (at most 64)`]);

  const reporter = createProgressReporter(flags.progress);
  for (const w of warnings) reporter.log(`warning: ${w}`);

  const { store, release } = await openStore(config.dryRun, flags, migrationId, reconcile ? { deletes } : undefined, reporter);

  const follow = config.follow.enabled
    ? followControl(flags.stateDir ?? DEFAULT_STATE_DIR, migrationId, reporter, config.follow.mode)
    : undefined;
  const interrupt = gracefulStop({
    display: reporter,
    quitNotice: QUIT_CHECKPOINT_STANDS,
    claim: () => follow?.requestFromSignal() ?? false, // the first Ctrl-C of a follow run asks for the cutover
  });

  try {
    const summary = await runMigration({
      config,
      migrationId,
      store,
      shouldStop: interrupt.requested,
      ...(reconcile ? { reconcile: { delete: deletes } } : {}),
      ...(follow ? { follow: follow.control } : {}),
      onEvent: (event) => {
        logEvent(event, reporter, { config, migrationId, reconcile, stateDir: flags.stateDir });
        reporter.handle(event);
      },
    });
    reporter.stop();
    return await reportOutcome(summary, config, migrationId, flags, argv);
  } finally {
    reporter.stop();
    interrupt.dispose();
    await release();
  }
}

/** Prints the summary (and the check's result, stored with the run) and says what to do next; returns the exit code. */
async function reportOutcome(
  summary: MigrationSummary,
  config: MigrationConfig,
  migrationId: string,
  flags: MigrateFlags,
  argv: string[],
): Promise<number> {
  const json = () => JSON.stringify({ ...summary, error: summary.error?.message, totals: { ...ZERO_COUNTERS, ...summary.totals } });
  process.stdout.write(`${flags.json ? json() : formatSummary(summary)}\n`);
  if (summary.verify) {
    if (!flags.json) process.stdout.write(`${formatVerifyResult(summary.verify)}\n`);
    await new FileVerifyReportStore(flags.stateDir ?? DEFAULT_STATE_DIR, migrationId).save(summary.verify);
  }
  if (summary.status === 'failed') {
    process.stderr.write(`redis-ferry: ${summary.error?.message ?? 'migration failed'}\n`);
    if (!config.dryRun) process.stderr.write(`Fix the cause, then resume with: ${resumeCommand(argv)}\n`);
    return 1;
  }
  if (summary.verifyError) {
    process.stderr.write(
      `warning: the copy completed, but verification could not run: ${summary.verifyError}. ` +
        `Grant the user TYPE, PTTL and DUMP (or set verify = "none"), then run: ${verifyCommandFor(argv)}\n`,
    );
  }
  if (summary.verify && !summary.verify.passed) {
    process.stderr.write(
      `redis-ferry: verification found ${summary.verify.mismatches} differing key(s) (${summary.verify.maxMismatches} allowed); ` +
        `details above. Re-run verify with: ${verifyCommandFor(argv)}\n`,
    );
    return EXIT_MISMATCHES;
  }
  if (summary.status === 'interrupted') {
    process.stderr.write(`Stopped; checkpoint saved. Resume with: ${resumeCommand(argv)}\n`);
    return 130;
  }
  return 0;
}

/** The lines a run's events add to the progress display (the reporter draws its bars itself). */
function logEvent(
  event: RunEvent,
  reporter: ProgressReporter,
  run: { config: MigrationConfig; migrationId: string; reconcile: boolean; stateDir?: string },
): void {
  const { config, migrationId, reconcile } = run;
  if (event.type === 'plan') {
    const what = `${event.resumed ? 'Resuming' : 'Starting'} ${reconcile ? 'reconcile pass' : 'migration'} ${migrationId}`;
    reporter.log(
      `${what}: ${event.source.kind} ${config.source.addresses[0]} → ${event.target.kind} ${config.target.addresses[0]}, ` +
        `${event.plan.units.length} unit(s)`,
    );
    for (const unit of event.plan.units) reporter.log(`  unit ${unit.id}: ${unit.label} → target db${unit.targetDb}`);
    if (event.plan.units.length === 0) reporter.log('  nothing to copy: the source has no keys in the selected dbs');
  } else if (event.type === 'note') {
    reporter.log(`note: ${event.message}`);
  } else if (event.type === 'deleting') {
    reporter.log(`Compared every unit; deleting the target keys the source lacks (${event.units.length} target unit(s))…`);
  } else if (event.type === 'following') {
    const stateDir = run.stateDir && run.stateDir !== DEFAULT_STATE_DIR ? ` --state-dir ${run.stateDir}` : '';
    const how = config.follow.mode === 'rescan' ? ' by repeated reconcile passes (rescan)' : '';
    reporter.log(`Copy done; following the source's writes${how}. Cut over with Ctrl-C or: redis-ferry cutover ${migrationId}${stateDir}`);
  } else if (event.type === 'verifying') {
    reporter.log(`Copy done; verifying every key (${event.level}: existence, type, TTL${event.level === 'full' ? ', values' : ''})…`);
  } else if (event.type === 'retry') {
    reporter.log(`retry: unit ${event.unit.id} (attempt ${event.attempt + 1} in ${(event.delayMs / 1000).toFixed(1)}s): ${event.reason}`);
  }
}

/**
 * The run's checkpoint store: in memory for a dry run (it must leave no state a real run could
 * mistake for progress), else the state dir's files, locked for this process. `--fresh` clears
 * them first, and so does a reconcile pass whose last pass completed: the same command later (a
 * scheduled re-sync) starts a new pass.
 */
async function openStore(
  dryRun: boolean,
  flags: MigrateFlags,
  migrationId: string,
  reconcile: { deletes: boolean } | undefined,
  reporter: ProgressReporter,
): Promise<{ store: CheckpointStore; release: () => Promise<void> }> {
  if (dryRun) return { store: new MemoryCheckpointStore(), release: async () => {} };
  const fileStore = new FileCheckpointStore(flags.stateDir ?? DEFAULT_STATE_DIR, migrationId);
  let unlock = await fileStore.lock();
  const newPass = reconcile !== undefined && !flags.fresh && (await passComplete(fileStore, reconcile.deletes));
  if (flags.fresh || newPass) {
    await unlock();
    await fileStore.clear();
    unlock = await fileStore.lock();
    if (newPass) reporter.log(`The last reconcile pass ${migrationId} completed; starting a new pass`);
  }
  const release = async () => {
    await unlock();
    await fileStore.removeIfEmpty();
  };
  return { store: fileStore, release };
}

/** Flags that make no sense together with reconcile, refused before anything is touched. */
function checkReconcileFlags(flags: MigrateFlags): void {
  if (!flags.reconcile) {
    if (flags.delete === false)
      throw new ConfigError(['--no-delete applies to a reconcile pass: add --reconcile (or run redis-ferry reconcile)']);
    return;
  }
  if (flags.dryRun)
    throw new ConfigError([
      'reconcile has no dry run (it reads the target to decide what to write); run redis-ferry verify to see what differs',
    ]);
  if (flags.onExisting)
    throw new ConfigError([
      '--on-existing does not apply to reconcile: a pass overwrites the keys that differ and leaves the others; remove it',
    ]);
}

/** Whether the stored pass (plan, units, and with deletes its target units) is complete. */
async function passComplete(store: FileCheckpointStore, deletes: boolean): Promise<boolean> {
  const plan = await store.loadPlan();
  if (!plan) return false;
  const ids = [...plan.units, ...(deletes ? (plan.targetUnits ?? []) : [])].map((u) => u.id);
  const checkpoints = await Promise.all(ids.map((id) => store.loadUnit(id)));
  return checkpoints.every((c) => c?.status === 'done');
}

/** Options of migrate and reconcile that verify does not take: flags, and options followed by a value. */
const COPY_ONLY_FLAGS = new Set([
  '--reconcile',
  '--no-delete',
  '--fresh',
  '--dry-run',
  '--no-adaptive-count',
  '--no-functions',
  '--follow',
  '--follow-config-set',
]);
const COPY_ONLY_VALUES = new Set([
  '--rate-limit',
  '--on-existing',
  '--on-too-big',
  '--mode',
  '--big-key-threshold',
  '--concurrency',
  '--progress',
  '--cutover-when-idle',
  '--quiet-period',
]);

const FOLLOW_MODES = new Set(['events', 'rescan']);

/** `redis-ferry verify` with the run's source, target and selection (the options verify does not take left out). */
export function verifyCommandFor(argv: string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split('=', 1)[0]!;
    if (COPY_ONLY_VALUES.has(name) && !arg.includes('=')) i++; // its value too
    if (arg === '--follow' && FOLLOW_MODES.has(argv[i + 1] ?? '')) i++; // an optional value: `--follow rescan`
    if (!COPY_ONLY_FLAGS.has(name) && !COPY_ONLY_VALUES.has(name)) kept.push(arg);
  }
  return resumeCommand(kept).replace(/^redis-ferry (migrate|reconcile) /, 'redis-ferry verify ');
}

/** The command line that resumes this run: the same arguments without --fresh, passwords hidden. */
function resumeCommand(argv: string[]): string {
  const args = argv.filter((a) => a !== '--fresh').map((a) => redactUrl(a));
  return ['redis-ferry', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}
