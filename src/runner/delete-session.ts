import type { MigrationConfig } from '../core/config.js';
import {
  type BulkWriteObserver,
  type CheckpointStore,
  type TargetUnitDescriptor,
  type UnitCheckpoint,
  ZERO_COUNTERS,
  ZERO_RECONCILE,
} from '../core/contracts.js';
import { CheckpointConflictError } from '../core/errors.js';
import { deleteExtraKeys } from '../core/extra-keys.js';
import type { KeyFilter } from '../core/key-filter.js';
import { DEFAULT_TEMP_PREFIX, isTempKey } from '../struct/temp-key.js';
import { openExtraCheck } from '../verify/verify-extra.js';

export interface DeleteSessionOptions {
  config: MigrationConfig;
  unit: TargetUnitDescriptor;
  store: CheckpointStore;
  /** The checkpoint to continue from (a new one: cursor '0'). */
  checkpoint: UnitCheckpoint;
  filter: KeyFilter;
  shouldStop: () => boolean;
  onProgress?: (checkpoint: UnitCheckpoint) => void;
  note?: (message: string) => void;
  /** Told of each source check and each confirmed delete batch (a change follower). */
  observer?: BulkWriteObserver;
}

/**
 * One attempt at a target unit's delete pass: walks the target db and deletes the keys in the
 * selection that no mapped source db has (deleteExtraKeys), checkpointing the target cursor after
 * each batch. Counters: `scanned` target keys, `filtered` those outside the selection, `batches`;
 * the checkpoint's `reconcile.targetChecked` and `reconcile.deleted`. The cursor belongs to the
 * target node's process: on another one (a failover) the walk restarts from cursor 0, which is
 * safe, since deleting what the source lacks twice deletes nothing more.
 */
export async function runDeleteSession(options: DeleteSessionOptions): Promise<UnitCheckpoint> {
  const { config, unit, store } = options;
  if (options.checkpoint.status === 'done') return options.checkpoint;
  const note = options.note ?? (() => {});
  const clients = await openExtraCheck(config, unit, note);
  try {
    let checkpoint = await store.saveUnit({
      ...onNode(options.checkpoint, clients.target.node.identity, unit, note),
      status: 'running',
      error: undefined,
      updatedAt: new Date().toISOString(),
    });
    const counters = { ...ZERO_COUNTERS, ...checkpoint.counters };
    const counts = { ...ZERO_RECONCILE, ...checkpoint.reconcile };
    const { filter } = options;
    try {
      await deleteExtraKeys({
        targetScan: clients.target,
        selects: (key) => !isTempKey(key, DEFAULT_TEMP_PREFIX) && (filter.passesAll || filter.allowsKey(key)),
        sourceExists: (keys) => clients.source.exists(keys),
        deleteKeys: (keys) => clients.target.del(keys),
        observer: options.observer,
        cursor: checkpoint.cursor,
        shouldStop: options.shouldStop,
        onBatch: async (batch) => {
          counters.scanned += batch.scanned;
          counters.filtered += batch.scanned - batch.checked;
          counters.batches++;
          counts.targetChecked += batch.checked;
          counts.deleted += batch.deleted.length;
          checkpoint = await store.saveUnit({
            ...checkpoint,
            cursor: batch.cursor,
            status: batch.done ? 'done' : 'running',
            counters: { ...counters },
            reconcile: { ...counts },
            updatedAt: new Date().toISOString(),
          });
          options.onProgress?.(checkpoint);
        },
      });
    } catch (error) {
      if (!(error instanceof CheckpointConflictError)) {
        const failed = { ...checkpoint, status: 'failed' as const, error: (error as Error)?.message ?? String(error) };
        await store.saveUnit({ ...failed, updatedAt: new Date().toISOString() }).catch(() => undefined);
      }
      throw error;
    }
    return checkpoint;
  } finally {
    await clients.close();
  }
}

/** The checkpoint to walk from on the node `identity`: from cursor 0 when the cursor was another process's. */
function onNode(checkpoint: UnitCheckpoint, identity: string, unit: TargetUnitDescriptor, note: (message: string) => void): UnitCheckpoint {
  const before = checkpoint.scanNode;
  if (before === undefined || before === identity || checkpoint.cursor === '0') return { ...checkpoint, scanNode: identity };
  note(`target unit ${unit.id}: the target node changed from ${before} to ${identity}; walking it again from cursor 0`);
  return { ...checkpoint, cursor: '0', scanNode: identity, rescanReason: `the target node changed from ${before} to ${identity}` };
}
