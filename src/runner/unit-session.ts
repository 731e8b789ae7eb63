import { ByteBudget, DEFAULT_READ_BUDGET_BYTES } from '../core/byte-budget.js';
import type { ConflictPolicy, MigrationConfig } from '../core/config.js';
import type {
  BigKeyCopier,
  BulkWriteObserver,
  CheckpointStore,
  KeySink,
  KeySource,
  UnitCheckpoint,
  UnitDescriptor,
} from '../core/contracts.js';
import { copyUnit } from '../core/copy-unit.js';
import type { KeyFilter } from '../core/key-filter.js';
import type { RateLimiter } from '../core/rate-limiter.js';
import type { OpenedSource } from '../redis/source-access.js';
import type { StructFallbackSink } from '../struct/index.js';
import { type ReconcileParts, type ReconcileSessionOptions, reconcileParts } from './reconcile-wiring.js';
import { openUnitIo } from './unit-io.js';

export interface UnitSessionOptions {
  config: MigrationConfig;
  unit: UnitDescriptor;
  store: CheckpointStore;
  /** The checkpoint to continue from, as loaded (and possibly leased) by the caller. */
  checkpoint: UnitCheckpoint;
  filter: KeyFilter;
  limiter?: RateLimiter;
  shouldStop: () => boolean;
  /** Batches the session copies at most (see CopyUnitOptions.maxBatches). */
  maxBatches?: number;
  onProgress?: (checkpoint: UnitCheckpoint) => void;
  /** Why the session did something the user should know (a restarted scan, a refused probe). */
  note?: (message: string) => void;
  /** Bounds the payload bytes held at once; share one between the sessions a process runs together. */
  readBudget?: ByteBudget;
  /**
   * Reconcile instead of copy: write only the keys that differ (policy `replace`), and keep the
   * pass's counts in the checkpoint (see reconcile-wiring.ts). Not with a dry run.
   */
  reconcile?: ReconcileSessionOptions;
  /** Overrides config.onExistingKey (the live follower writes every key with REPLACE). */
  policy?: ConflictPolicy;
  /** Told which keys each batch read and wrote (the live follower's guard; see BulkWriteObserver). */
  observer?: BulkWriteObserver;
}

/**
 * One attempt at a unit: find and open the source node that serves it now and the target db, copy
 * from the checkpoint until done or told to stop, close both. The local runner calls it in a retry
 * loop; the `copy` Lambda calls it once per invocation with a deadline-based `shouldStop`.
 */
export async function runUnitSession(options: UnitSessionOptions): Promise<UnitCheckpoint> {
  const { config, unit } = options;
  const note = options.note ?? (() => {});
  const previous = options.checkpoint.scanNode?.split(' ')[0];
  const budget = options.readBudget ?? new ByteBudget(DEFAULT_READ_BUDGET_BYTES);
  const io = await openUnitIo({ config, unit, budget, previous, note });
  let reconcile: ReconcileParts | undefined;
  try {
    const checkpoint = continueOn(options.checkpoint, io.node, unit, note);
    let keySource: KeySource = io.source;
    let store = options.store;
    let sink: KeySink | undefined = io.sink && restartAware(io.sink, checkpoint, config.onExistingKey);
    let copyBigKey: BigKeyCopier | undefined = io.copyBigKey;
    if (options.reconcile && sink && copyBigKey && io.clients && io.destination) {
      const parts = { source: keySource, sink, copyBigKey, store, clients: io.clients, destination: io.destination };
      reconcile = await reconcileParts({ ...parts, config, unit, options: options.reconcile, checkpoint });
      ({ source: keySource, sink, copyBigKey, store } = reconcile);
    }
    const done = await copyUnit({
      source: keySource,
      sink,
      filter: options.filter,
      policy: options.reconcile ? 'replace' : (options.policy ?? config.onExistingKey),
      observer: options.observer,
      store,
      checkpoint,
      limiter: options.limiter,
      shouldStop: options.shouldStop,
      maxBatches: options.maxBatches,
      onProgress: options.onProgress,
      copyBigKey,
    });
    if (io.fallback) reportStructStats(unit, io.fallback, note);
    return done;
  } finally {
    await Promise.all([io.close(), reconcile?.close()]);
  }
}

/** What copying by type could not carry, said once per session (docs/fidelity.md explains each). */
export function reportStructStats(unit: UnitDescriptor, sink: StructFallbackSink, note: (message: string) => void): void {
  const stats = sink.stats();
  const notCarried = Object.entries(stats.notCarried).filter(([, n]) => (n ?? 0) > 0);
  if (stats.structKeys === 0 && notCarried.length === 0) return;
  const parts = [`${stats.structKeys} key(s) written by type`];
  if (stats.changedDuringCopy > 0) parts.push(`${stats.changedDuringCopy} changed while being read (run verify)`);
  if (notCarried.length > 0)
    parts.push(
      `not carried: ${notCarried.map(([k, n]) => `${k} ${n}`).join(', ')}` +
        `${stats.unsupportedExamples.length ? ` (e.g. ${stats.unsupportedExamples.join(', ')})` : ''}`,
    );
  note(`unit ${unit.id}: ${parts.join('; ')}`);
}

/**
 * The checkpoint to copy from on `node`. A SCAN cursor belongs to one server process: when the
 * unit's keys are now served by another one (a failover promoted a replica, the server restarted,
 * a preferred replica was re-pointed) the cursor is meaningless there, so the scan restarts from
 * cursor 0. Keys already written will be met again; the restart marker (`rescanReason`, with
 * `writeFrontier` '0', the end of the walk) makes every write until the unit is done a REPLACE,
 * so they are not mistaken for foreign keys. Counters keep counting: `recopied` shows the rewrites.
 */
export function continueOn(
  checkpoint: UnitCheckpoint,
  node: OpenedSource['node'],
  unit: UnitDescriptor,
  note: (message: string) => void,
): UnitCheckpoint {
  const before = checkpoint.scanNode;
  const started = checkpoint.cursor !== '0' || checkpoint.writeFrontier !== null || checkpoint.counters.batches > 0;
  if (before === undefined || before === node.identity || !started || checkpoint.status === 'done') {
    return { ...checkpoint, scanNode: node.identity };
  }
  const reason = `the source node changed from ${before} to ${node.identity}`;
  note(
    `unit ${unit.id} (${unit.label}): ${reason}; restarting its scan on ${node.label} ` +
      `from cursor 0 (keys already copied are rewritten with REPLACE)`,
  );
  return { ...checkpoint, cursor: '0', writeFrontier: '0', scanNode: node.identity, rescanReason: reason };
}

/**
 * The sink a unit writes through. After a restart (the marker is set) and under the `fail` policy,
 * plain RESTOREs become RESTORE … REPLACE: the keys met again are this migration's own earlier
 * writes. The marker outlives the frontier, which copy-unit clears on a clean stop.
 */
export function restartAware(sink: KeySink, checkpoint: UnitCheckpoint, policy: ConflictPolicy): KeySink {
  if (!checkpoint.rescanReason || policy !== 'fail') return sink;
  return {
    countKeys: () => sink.countKeys(),
    write: (records) => sink.write(records, 'replace'),
  };
}
