import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoMigrationState } from '../checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../checkpoint/dynamo-store.js';
import { DynamoVerifyProgress } from '../checkpoint/dynamo-verify.js';
import { MigrationError } from '../core/errors.js';
import { awsError } from './start-command.js';
import type { StatusFlags } from './status-command.js';
import { type StatusSnapshot, type WatchModel, watchModel } from './watch-model.js';
import { RateWindow } from './watch-rate.js';
import { createWatchView, type WatchRates, type WatchStream } from './watch-view.js';

/** How often the watcher reads the table: two consistent reads and a query or two, every 2 s. */
export const WATCH_INTERVAL_MS = 2_000;

export interface WatchDeps {
  dynamo: DynamoDBClient;
  /** Where the bars (on a terminal) or the progress lines (elsewhere) go. @default process.stdout */
  stream?: WatchStream;
  now?: () => number;
  /** Waits between polls. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Aborted: stop watching (Ctrl-C); the watcher returns 130. */
  signal?: AbortSignal;
  /** Prints the final state (`status` without --watch) once the migration ended. */
  printFinal: (out: (line: string) => void) => Promise<unknown>;
}

/** Exit codes: the migration finished, failed, or the watching was interrupted. */
export const WATCH_EXIT = { finished: 0, failed: 1, interrupted: 130 } as const;

/**
 * `redis-ferry status <id> --table T --watch`: polls the migration's items every ~2 s and redraws
 * progress bars (one per unit, and the total) with keys/s and an ETA from the stored counters, or
 * prints a progress line when something changed if the output is not a terminal. Once the
 * migration has finished or failed, prints its final state and returns 0 or 1.
 */
export async function watchStatus(migrationId: string, flags: StatusFlags, deps: WatchDeps): Promise<number> {
  const stream = deps.stream ?? process.stdout;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => delay(ms, undefined, { signal: deps.signal }).catch(() => undefined));
  const read = snapshotReader(deps.dynamo, flags.table, migrationId);
  const view = createWatchView(stream, migrationId);
  const rates = new Map<string, RateWindow>();
  try {
    for (;;) {
      const model = watchModel(await read());
      if (model.status !== 'running') {
        view.stop();
        const out = (line: string) => void stream.write(`${line}\n`);
        await deps.printFinal(out);
        return model.status === 'finished' ? WATCH_EXIT.finished : WATCH_EXIT.failed;
      }
      view.render(model, ratesOf(model, rates, now()));
      if (deps.signal?.aborted) return WATCH_EXIT.interrupted;
      await sleep(WATCH_INTERVAL_MS);
      if (deps.signal?.aborted) return WATCH_EXIT.interrupted;
    }
  } finally {
    view.stop();
  }
}

/** Keys/s and ETA of the phase's total and of each unit, from the windows kept across polls (one per phase and unit). */
function ratesOf(model: WatchModel, windows: Map<string, RateWindow>, atMs: number): WatchRates {
  const sample = (key: string, count: number, progress: number) => {
    const window = windows.get(key) ?? new RateWindow();
    windows.set(key, window);
    window.add(atMs, count, progress);
    return { perSecond: window.perSecond(), etaMs: progress >= 1 ? 0 : window.etaMs() };
  };
  return {
    total: sample(`${model.phase}:total`, model.total.count, model.total.progress),
    units: new Map(model.units.map((u) => [u.id, sample(`${model.phase}:${u.id}`, u.count, u.progress)])),
  };
}

/** Reads a snapshot; a missing table or migration is a clear error, as for `status`. */
function snapshotReader(dynamo: DynamoDBClient, table: string, migrationId: string): () => Promise<StatusSnapshot> {
  const state = new DynamoMigrationState(dynamo, table, migrationId);
  // Read-only: the owner and run are never written by listUnits or list.
  const store = new DynamoCheckpointStore(dynamo, table, migrationId, { owner: 'status', runId: 'status' });
  const verify = new DynamoVerifyProgress(dynamo, table, migrationId, { owner: 'status', runId: 'status' });
  return async () => {
    let snapshot: Partial<StatusSnapshot>;
    try {
      const [record, units, progress] = await Promise.all([state.load(), store.listUnits(), verify.list()]);
      snapshot = { record, units, verify: progress };
    } catch (error) {
      if ((error as Error)?.name === 'ResourceNotFoundException')
        throw new MigrationError(`table ${table} does not exist: use the stack output CheckpointTableName`);
      throw awsError(`read table ${table}`, error);
    }
    if (!snapshot.record) throw new MigrationError(`no migration ${migrationId} in table ${table}`);
    return snapshot as StatusSnapshot;
  };
}
