import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import {
  type BulkWriteObserver,
  type CheckpointStore,
  type MigrationPlan,
  newCheckpoint,
  type ReconcileCounters,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
  type UnitCounters,
  type UnitDescriptor,
  ZERO_COUNTERS,
  ZERO_RECONCILE,
} from '../core/contracts.js';
import { ConfigError, MigrationError } from '../core/errors.js';
import { createKeyFilter } from '../core/key-filter.js';
import { RateLimiter } from '../core/rate-limiter.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';
import { nodeClients } from '../verify/connections.js';
import type { MigrationVerifyResult } from '../verify/report.js';
import { verifyMigration } from '../verify/verify-migration.js';
import { runDeleteSession } from './delete-session.js';
import { planMigration } from './plan-migration.js';
import { planTargetUnits } from './plan-units.js';
import { add } from './reconcile-tally.js';
import type { ReconcileSessionOptions } from './reconcile-wiring.js';
import { runUnitSession } from './unit-session.js';

export type RunEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; source: SourceLayout; target: TargetLayout }
  | { type: 'progress'; unit: UnitDescriptor; checkpoint: UnitCheckpoint }
  | { type: 'retry'; unit: UnitDescriptor | TargetUnitDescriptor; attempt: number; delayMs: number; reason: string }
  | { type: 'note'; message: string }
  | { type: 'deleting'; units: TargetUnitDescriptor[] }
  | { type: 'target-progress'; unit: TargetUnitDescriptor; checkpoint: UnitCheckpoint }
  | { type: 'verifying'; level: 'quick' | 'full' };

export type RunStatus = 'completed' | 'interrupted' | 'failed';

export interface UnitOutcome {
  unit: UnitDescriptor;
  checkpoint: UnitCheckpoint;
}

export interface MigrationSummary {
  migrationId: string;
  /** The check after the copy (config.verify); absent when skipped. */
  verify?: MigrationVerifyResult;
  /** Why the check after the copy could not run (the copy itself completed). */
  verifyError?: string;
  status: RunStatus;
  dryRun: boolean;
  units: UnitOutcome[];
  /** Counters over the whole migration, across resumes. */
  totals: UnitCounters;
  /** What this run did (totals minus what earlier runs had done). */
  thisRun: UnitCounters;
  /** Every unit was already done when this run started: nothing was copied. */
  alreadyComplete: boolean;
  /** The whole run: discovery, planning, copy and verification. */
  durationMs: number;
  /** Discovery, planning and copy, without the verification after it (the copy rate's clock). */
  copyDurationMs: number;
  /** The first error that failed the run. */
  error?: MigrationError;
  /** A reconcile pass: what it found and did (absent for a plain copy). */
  reconcile?: ReconcileSummary;
}

export interface ReconcileSummary {
  /** Whether the pass deletes target keys the source lacks (false with --no-delete). */
  deletes: boolean;
  /** Over every unit, source and target, across resumes; `thisRun` without what earlier runs did. */
  totals: ReconcileCounters;
  thisRun: ReconcileCounters;
  /** The delete pass's units (none without deletes). */
  targetUnits: { unit: TargetUnitDescriptor; checkpoint: UnitCheckpoint }[];
}

export interface ReconcileRunOptions extends ReconcileSessionOptions {
  /** Delete the target keys (in the selection) the source does not have. @default true */
  delete?: boolean;
  /** Told of the delete pass's source checks and confirmed deletes (see BulkWriteObserver). */
  observer?: BulkWriteObserver;
}

export interface RunMigrationOptions {
  config: MigrationConfig;
  migrationId: string;
  store: CheckpointStore;
  /** Checked between batches; true stops every unit after its current batch (Ctrl-C). */
  shouldStop?: () => boolean;
  onEvent?: (event: RunEvent) => void;
  /**
   * Attempts in a row, without a batch copied in between, for retryable errors (connection lost,
   * failover); each resumes the checkpoint after a backoff (0.5 s doubling to 30 s). Default 8,
   * about a minute of waiting: long enough for a managed service's failover.
   */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Reconcile instead of copy: each unit writes only the keys that differ (policy `replace`), then,
   * with `delete`, each target unit deletes the keys the source lacks; checkpointed like a copy.
   */
  reconcile?: ReconcileRunOptions;
}

/**
 * The local runner: discovers both sides, plans (or reloads the stored plan and resumes), checks
 * the target before the first write, then copies every unit concurrently up to the configured
 * limit (a reconcile pass: diffs every unit, then walks every target unit for keys to delete). A
 * unit failing with a retryable error resumes from its checkpoint after a backoff; any other
 * failure stops the other units after their current batch.
 */
export async function runMigration(options: RunMigrationOptions): Promise<MigrationSummary> {
  const reconcile = options.reconcile;
  if (reconcile && options.config.dryRun)
    throw new ConfigError(['reconcile cannot be a dry run: it reads the target to decide what to write; run verify to see what differs']);
  // A reconcile pass overwrites whatever differs: the target's keys are the ones being replaced.
  const config: MigrationConfig = reconcile ? { ...options.config, onExistingKey: 'replace' } : options.config;
  const { store } = options;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});

  const { plan, resumed, source, target } = await planMigration(
    config,
    options.migrationId,
    store,
    (message) => emit({ type: 'note', message }),
    !reconcile,
  );
  emit({ type: 'plan', plan, resumed, source, target });
  const deletes = reconcile !== undefined && reconcile.delete !== false;
  const targetUnits = deletes ? (plan.targetUnits ?? planTargetUnits(plan.units, target)) : [];
  const atStart = await Promise.all([...plan.units, ...targetUnits].map((u) => store.loadUnit(u.id)));
  const alreadyComplete = resumed && atStart.every((c) => c?.status === 'done');

  let failure: MigrationError | undefined;
  const shouldStop = () => failure !== undefined || (options.shouldStop?.() ?? false);
  const attempts = retrying(options, shouldStop, emit);
  const filter = createKeyFilter(config.filter);
  const limiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined;
  // One bound on payload bytes in memory for every unit this process copies at once.
  const readBudget = new ByteBudget(DEFAULT_READ_BUDGET_BYTES);
  const note = (message: string) => emit({ type: 'note', message });
  const fail = (error: unknown) => {
    failure ??= asMigrationError(error);
  };

  const copied = await inPool(plan.units, config.concurrency, store, fail, (unit) =>
    attempts(unit, (checkpoint) =>
      runUnitSession({
        ...{ config, unit, store, checkpoint, filter, limiter, readBudget, shouldStop, note },
        onProgress: (cp) => emit({ type: 'progress', unit, checkpoint: cp }),
        ...(reconcile ? { reconcile } : {}),
      }),
    ),
  );
  const units = plan.units.map((unit) => ({ unit, checkpoint: copied.get(unit.id) ?? newCheckpoint(unit.id) }));
  let allDone = units.every((u) => u.checkpoint.status === 'done');
  // After the diff, so the pass deletes only what the source lacked once every unit was compared.
  const deleting = targetUnits.length > 0 && allDone && !failure && !shouldStop();
  if (deleting) emit({ type: 'deleting', units: targetUnits });
  const deleted = !deleting
    ? new Map<string, UnitCheckpoint>()
    : await inPool(targetUnits, config.concurrency, store, fail, (unit) =>
        attempts(unit, (checkpoint) =>
          runDeleteSession({
            ...{ config, unit, store, checkpoint, filter, shouldStop, note, observer: reconcile?.observer },
            onProgress: (cp) => emit({ type: 'target-progress', unit, checkpoint: cp }),
          }),
        ),
      );
  const deletePass = targetUnits.map((unit) => ({ unit, checkpoint: deleted.get(unit.id) ?? newCheckpoint(unit.id) }));
  allDone &&= deletePass.every((u) => u.checkpoint.status === 'done');

  const copyDurationMs = performance.now() - started;
  const verified =
    allDone && !failure && !config.dryRun && config.verify !== 'none' && !alreadyComplete && !shouldStop()
      ? await verifyAfter(config, options.migrationId, plan, target, shouldStop, emit, reconcile !== undefined && !deletes)
      : {};
  const totals = sumCounters(units.map((u) => u.checkpoint.counters));
  return {
    ...verified,
    migrationId: options.migrationId,
    status: failure ? 'failed' : allDone ? 'completed' : 'interrupted',
    dryRun: config.dryRun,
    units,
    totals,
    thisRun: subtractCounters(totals, sumCounters(atStart.slice(0, plan.units.length).map((c) => c?.counters ?? { ...ZERO_COUNTERS }))),
    alreadyComplete,
    durationMs: performance.now() - started,
    copyDurationMs,
    ...(failure ? { error: failure } : {}),
    ...(reconcile ? { reconcile: reconcileSummary(deletes, [...units, ...deletePass], atStart, deletePass) } : {}),
  };
}

/** The check after the copy (config.verify). Keys kept on purpose (a reconcile with --no-delete) are not looked for. */
async function verifyAfter(
  config: MigrationConfig,
  migrationId: string,
  plan: MigrationPlan,
  target: TargetLayout,
  shouldStop: () => boolean,
  emit: (event: RunEvent) => void,
  keepsExtra: boolean,
): Promise<Pick<MigrationSummary, 'verify' | 'verifyError'>> {
  const level = config.verify === 'full' ? 'full' : 'quick';
  emit({ type: 'verifying', level });
  try {
    const verify = await verifyMigration({
      config,
      migrationId,
      level,
      maxMismatches: config.maxMismatches,
      bigKeyBytes: config.bigKeyThreshold || undefined,
      units: plan.units,
      targetUnits: plan.targetUnits ?? planTargetUnits(plan.units, target),
      extraCheck: config.extraCheck && !keepsExtra,
      open: nodeClients(config, target.kind),
      shouldStop,
    });
    return { verify };
  } catch (error) {
    // The copy is complete; a check that cannot run (a user without TYPE/PTTL, say) is reported,
    // not turned into a failed migration.
    return { verifyError: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
}

function reconcileSummary(
  deletes: boolean,
  all: { checkpoint: UnitCheckpoint }[],
  atStart: (UnitCheckpoint | undefined)[],
  targetUnits: ReconcileSummary['targetUnits'],
): ReconcileSummary {
  const totals = add({ ...ZERO_RECONCILE }, ...all.map((u) => u.checkpoint.reconcile));
  const before = add({ ...ZERO_RECONCILE }, ...atStart.map((c) => c?.reconcile));
  const thisRun = { ...totals };
  for (const k of Object.keys(thisRun) as (keyof ReconcileCounters)[]) thisRun[k] -= before[k];
  return { deletes, totals, thisRun, targetUnits };
}

function asMigrationError(error: unknown): MigrationError {
  return error instanceof MigrationError ? error : new MigrationError(String((error as Error)?.message ?? error), { cause: error });
}

type Unit = UnitDescriptor | TargetUnitDescriptor;

/**
 * Runs `attempt` until the unit is done, stopped, or failed: attempts count failures in a row
 * without progress, so a unit that keeps copying between failovers is never given up on, one
 * stuck on the same error is after `maxAttempts`. Each retryable failure resumes the checkpoint
 * after a backoff (0.5 s doubling to 30 s).
 */
function retrying(options: RunMigrationOptions, shouldStop: () => boolean, emit: (event: RunEvent) => void) {
  const { store } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // A backoff can be long (a failover); a stop request (Ctrl-C) must not wait for it.
  const pause = async (ms: number) => {
    if (options.sleep) return options.sleep(ms);
    const until = performance.now() + ms;
    while (!shouldStop() && performance.now() < until) await sleep(Math.min(250, until - performance.now()));
  };
  return async (unit: Unit, attempt: (checkpoint: UnitCheckpoint) => Promise<UnitCheckpoint>): Promise<UnitCheckpoint> => {
    let failures = 0;
    for (;;) {
      const checkpoint = (await store.loadUnit(unit.id)) ?? newCheckpoint(unit.id);
      if (checkpoint.status === 'done' || shouldStop()) return checkpoint;
      try {
        return await attempt(checkpoint);
      } catch (error) {
        const retryable = error instanceof MigrationError && error.retryable;
        const batchesNow = (await store.loadUnit(unit.id).catch(() => undefined))?.counters.batches ?? checkpoint.counters.batches;
        failures = batchesNow > checkpoint.counters.batches ? 1 : failures + 1;
        if (!retryable || failures >= maxAttempts || shouldStop()) throw error;
        const delayMs = Math.min(30_000, 500 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
        emit({ type: 'retry', unit, attempt: failures, delayMs, reason: (error as Error).message });
        await pause(delayMs);
      }
    }
  };
}

/** Runs `run` over the units, `concurrency` at once (0: all); a unit's failure is passed to `fail`, its checkpoint kept. */
async function inPool<U extends Unit>(
  list: U[],
  concurrency: number,
  store: CheckpointStore,
  fail: (error: unknown) => void,
  run: (unit: U) => Promise<UnitCheckpoint>,
): Promise<Map<string, UnitCheckpoint>> {
  const outcomes = new Map<string, UnitCheckpoint>();
  const queue = [...list];
  const workers = Math.min(queue.length, concurrency > 0 ? concurrency : queue.length);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        try {
          outcomes.set(unit.id, await run(unit));
        } catch (error) {
          fail(error);
          outcomes.set(unit.id, (await store.loadUnit(unit.id).catch(() => undefined)) ?? newCheckpoint(unit.id));
        }
      }
    }),
  );
  return outcomes;
}

function subtractCounters(a: UnitCounters, b: UnitCounters): UnitCounters {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof UnitCounters)[]) out[k] -= b[k];
  return out;
}

export function sumCounters(list: UnitCounters[]): UnitCounters {
  const total = { ...ZERO_COUNTERS };
  for (const c of list) for (const k of Object.keys(total) as (keyof UnitCounters)[]) total[k] += c[k];
  return total;
}
