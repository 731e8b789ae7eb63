import { type CheckpointStore, newCheckpoint, type UnitCheckpoint } from '../core/contracts.js';
import { MigrationError } from '../core/errors.js';

export interface PoolOutcome {
  /** Each unit's checkpoint as its run left it, in the order of the units. */
  checkpoints: UnitCheckpoint[];
  /** The first error that failed a unit; the other units stopped after their current batch. */
  failure?: MigrationError;
}

export interface PoolOptions {
  /** Units run at once (0: all). */
  concurrency: number;
  store: CheckpointStore;
  /** The caller's stop (Ctrl-C). */
  shouldStop?: () => boolean;
}

/**
 * Runs `run` over the units, `concurrency` at once. The first unit that fails for good stops the
 * others: `run` is given a shouldStop that turns true then, as on the caller's stop. A failed unit
 * keeps its checkpoint as the store has it.
 */
export async function runUnitPool<U extends { id: string }>(
  units: readonly U[],
  options: PoolOptions,
  run: (unit: U, shouldStop: () => boolean) => Promise<UnitCheckpoint>,
): Promise<PoolOutcome> {
  const { store } = options;
  let failure: MigrationError | undefined;
  const shouldStop = () => failure !== undefined || (options.shouldStop?.() ?? false);
  const outcomes = new Map<string, UnitCheckpoint>();
  const queue = [...units];
  const workers = Math.min(queue.length, options.concurrency > 0 ? options.concurrency : queue.length);
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let unit = queue.shift(); unit; unit = queue.shift()) {
        try {
          outcomes.set(unit.id, await run(unit, shouldStop));
        } catch (error) {
          failure ??=
            error instanceof MigrationError ? error : new MigrationError(String((error as Error)?.message ?? error), { cause: error });
          outcomes.set(unit.id, (await store.loadUnit(unit.id).catch(() => undefined)) ?? newCheckpoint(unit.id));
        }
      }
    }),
  );
  return { checkpoints: units.map((unit) => outcomes.get(unit.id) ?? newCheckpoint(unit.id)), ...(failure ? { failure } : {}) };
}
