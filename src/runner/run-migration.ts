import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import {
  type CheckpointStore,
  type MigrationPlan,
  newCheckpoint,
  type UnitCheckpoint,
  type UnitCounters,
  type UnitDescriptor,
  ZERO_COUNTERS,
} from '../core/contracts.js';
import { MigrationError } from '../core/errors.js';
import { createKeyFilter } from '../core/key-filter.js';
import { RateLimiter } from '../core/rate-limiter.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';
import { nodeClients } from '../verify/connections.js';
import type { MigrationVerifyResult } from '../verify/report.js';
import { verifyMigration } from '../verify/verify-migration.js';
import { planMigration } from './plan-migration.js';
import { runUnitSession } from './unit-session.js';

export type RunEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; source: SourceLayout; target: TargetLayout }
  | { type: 'progress'; unit: UnitDescriptor; checkpoint: UnitCheckpoint }
  | { type: 'retry'; unit: UnitDescriptor; attempt: number; delayMs: number; reason: string }
  | { type: 'note'; message: string }
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
}

/**
 * The local runner: discovers both sides, plans (or reloads the stored plan and resumes), checks
 * the target before the first write, then copies every unit concurrently up to the configured
 * limit. A unit failing with a retryable error resumes from its checkpoint after a backoff; any
 * other failure stops the other units after their current batch.
 */
export async function runMigration(options: RunMigrationOptions): Promise<MigrationSummary> {
  const { config, store } = options;
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.maxAttempts ?? 8;

  const { plan, resumed, source, target } = await planMigration(config, options.migrationId, store, (message) =>
    emit({ type: 'note', message }),
  );
  emit({ type: 'plan', plan, resumed, source, target });
  const atStart = await Promise.all(plan.units.map((u) => store.loadUnit(u.id)));
  const before = atStart.map((c) => c?.counters ?? { ...ZERO_COUNTERS });
  const alreadyComplete = resumed && atStart.every((c) => c?.status === 'done');

  const filter = createKeyFilter(config.filter);
  const limiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined;
  // One bound on payload bytes in memory for every unit this process copies at once.
  const readBudget = new ByteBudget(DEFAULT_READ_BUDGET_BYTES);
  let failure: MigrationError | undefined;
  const shouldStop = () => failure !== undefined || (options.shouldStop?.() ?? false);

  const runUnit = async (unit: UnitDescriptor): Promise<UnitCheckpoint> => {
    // Attempts count failures in a row without progress: a unit that keeps copying between
    // failovers is never given up on, one stuck on the same error is after `maxAttempts`.
    let failures = 0;
    for (;;) {
      const checkpoint = (await store.loadUnit(unit.id)) ?? newCheckpoint(unit.id);
      if (checkpoint.status === 'done' || shouldStop()) return checkpoint;
      try {
        return await runUnitSession({
          config,
          unit,
          store,
          checkpoint,
          filter,
          limiter,
          readBudget,
          shouldStop,
          onProgress: (cp) => emit({ type: 'progress', unit, checkpoint: cp }),
          note: (message) => emit({ type: 'note', message }),
        });
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
  // A backoff can be long (a failover); a stop request (Ctrl-C) must not wait for it.
  const pause = async (ms: number) => {
    if (options.sleep) return options.sleep(ms);
    const until = performance.now() + ms;
    while (!shouldStop() && performance.now() < until) await sleep(Math.min(250, until - performance.now()));
  };

  const outcomes = new Map<string, UnitCheckpoint>();
  const queue = [...plan.units];
  const workers = Math.min(queue.length, config.concurrency > 0 ? config.concurrency : queue.length);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        try {
          outcomes.set(unit.id, await runUnit(unit));
        } catch (error) {
          failure ??=
            error instanceof MigrationError ? error : new MigrationError(String((error as Error)?.message ?? error), { cause: error });
          outcomes.set(unit.id, (await store.loadUnit(unit.id).catch(() => undefined)) ?? newCheckpoint(unit.id));
        }
      }
    }),
  );

  const units = plan.units.map((unit) => ({ unit, checkpoint: outcomes.get(unit.id) ?? newCheckpoint(unit.id) }));
  const allDone = units.every((u) => u.checkpoint.status === 'done');
  let verify: MigrationVerifyResult | undefined;
  let verifyError: string | undefined;
  const copyDurationMs = performance.now() - started;
  if (allDone && !failure && !config.dryRun && config.verify !== 'none' && !alreadyComplete && !shouldStop()) {
    emit({ type: 'verifying', level: config.verify });
    // Keys skipped as too big (--on-too-big skip) are missing on the target by choice: tolerated.
    const tooBig = sumCounters(units.map((u) => u.checkpoint.counters)).skippedTooBig;
    if (tooBig > 0) emit({ type: 'note', message: `verification tolerates the ${tooBig} key(s) skipped as too big for the target` });
    verify = await verifyMigration({
      config,
      migrationId: options.migrationId,
      level: config.verify,
      maxMismatches: config.maxMismatches + tooBig,
      bigKeyBytes: config.bigKeyThreshold || undefined,
      units: plan.units,
      open: nodeClients(config, target.kind),
      shouldStop,
    }).catch((error: unknown) => {
      // The copy is complete; a check that cannot run (a user without TYPE/PTTL, say) is reported,
      // not turned into a failed migration.
      verifyError = error instanceof Error ? error.message.split('\n')[0]! : String(error);
      return undefined;
    });
  }
  return {
    ...(verify ? { verify } : {}),
    ...(verifyError ? { verifyError } : {}),
    migrationId: options.migrationId,
    status: failure ? 'failed' : allDone ? 'completed' : 'interrupted',
    dryRun: config.dryRun,
    units,
    totals: sumCounters(units.map((u) => u.checkpoint.counters)),
    thisRun: subtractCounters(sumCounters(units.map((u) => u.checkpoint.counters)), sumCounters(before)),
    alreadyComplete,
    durationMs: performance.now() - started,
    copyDurationMs,
    ...(failure ? { error: failure } : {}),
  };
}

function subtractCounters(a: UnitCounters, b: UnitCounters): UnitCounters {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof UnitCounters)[]) out[k] -= b[k];
  return out;
}

export function sumCounters(list: UnitCounters[]): UnitCounters {
  const total = { ...ZERO_COUNTERS };
  // `?? 0`: a checkpoint written before a counter existed lacks it.
  for (const c of list) for (const k of Object.keys(total) as (keyof UnitCounters)[]) total[k] += c[k] ?? 0;
  return total;
}
