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
import { copyUnit } from '../core/copy-unit.js';
import { MigrationError } from '../core/errors.js';
import { createKeyFilter } from '../core/key-filter.js';
import { RateLimiter } from '../core/rate-limiter.js';
import { discoverSource, openUnitSource, type SourceLayout } from '../redis/source-access.js';
import { discoverTarget, openTargetDb, type TargetLayout } from '../redis/target-access.js';
import { planUnits } from './plan-units.js';
import { preflightTarget } from './preflight.js';

export type RunEvent =
  | { type: 'plan'; plan: MigrationPlan; resumed: boolean; source: SourceLayout; target: TargetLayout }
  | { type: 'progress'; unit: UnitDescriptor; checkpoint: UnitCheckpoint }
  | { type: 'retry'; unit: UnitDescriptor; attempt: number; delayMs: number; reason: string }
  | { type: 'note'; message: string };

export type RunStatus = 'completed' | 'interrupted' | 'failed';

export interface UnitOutcome {
  unit: UnitDescriptor;
  checkpoint: UnitCheckpoint;
}

export interface MigrationSummary {
  migrationId: string;
  status: RunStatus;
  dryRun: boolean;
  units: UnitOutcome[];
  totals: UnitCounters;
  durationMs: number;
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
  /** Attempts per unit for retryable errors (connection lost, failover); each resumes the checkpoint. */
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
  const maxAttempts = options.maxAttempts ?? 5;

  const source = await discoverSource(config.source);
  const target = await discoverTarget(config.target);
  for (const message of [...source.notes, ...target.notes]) emit({ type: 'note', message });

  let plan = await store.loadPlan();
  const resumed = plan !== undefined;
  if (!plan) {
    const units = planUnits(config, source, target);
    await preflightTarget(config, units, (message) => emit({ type: 'note', message }));
    plan = { migrationId: options.migrationId, units, createdAt: new Date().toISOString() };
    await store.savePlan(plan);
  }
  emit({ type: 'plan', plan, resumed, source, target });

  const filter = createKeyFilter(config.filter);
  const limiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined;
  let failure: MigrationError | undefined;
  const shouldStop = () => failure !== undefined || (options.shouldStop?.() ?? false);

  const runUnit = async (unit: UnitDescriptor): Promise<UnitCheckpoint> => {
    for (let attempt = 1; ; attempt++) {
      const checkpoint = (await store.loadUnit(unit.id)) ?? newCheckpoint(unit.id);
      if (checkpoint.status === 'done' || shouldStop()) return checkpoint;
      const opened = await openUnitSource(config.source, unit, config.scan);
      const target = config.dryRun ? undefined : await openTargetDb(config.target, unit.targetDb).catch(async (e) => {
        await opened.close();
        throw e;
      });
      try {
        return await copyUnit({
          source: opened.source,
          sink: target?.sink,
          filter,
          policy: config.onExistingKey,
          store,
          checkpoint,
          limiter,
          shouldStop,
          onProgress: (cp) => emit({ type: 'progress', unit, checkpoint: cp }),
        });
      } catch (error) {
        const retryable = error instanceof MigrationError && error.retryable;
        if (!retryable || attempt >= maxAttempts || shouldStop()) throw error;
        const delayMs = Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        emit({ type: 'retry', unit, attempt, delayMs, reason: (error as Error).message });
        await sleep(delayMs);
      } finally {
        await Promise.all([opened.close(), target?.close()]);
      }
    }
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
          failure ??= error instanceof MigrationError ? error : new MigrationError(String((error as Error)?.message ?? error), { cause: error });
          outcomes.set(unit.id, (await store.loadUnit(unit.id).catch(() => undefined)) ?? newCheckpoint(unit.id));
        }
      }
    }),
  );

  const units = plan.units.map((unit) => ({ unit, checkpoint: outcomes.get(unit.id) ?? newCheckpoint(unit.id) }));
  const allDone = units.every((u) => u.checkpoint.status === 'done');
  return {
    migrationId: options.migrationId,
    status: failure ? 'failed' : allDone ? 'completed' : 'interrupted',
    dryRun: config.dryRun,
    units,
    totals: sumCounters(units.map((u) => u.checkpoint.counters)),
    durationMs: performance.now() - started,
    ...(failure ? { error: failure } : {}),
  };
}

export function sumCounters(list: UnitCounters[]): UnitCounters {
  const total = { ...ZERO_COUNTERS };
  for (const c of list) for (const k of Object.keys(total) as (keyof UnitCounters)[]) total[k] += c[k];
  return total;
}
