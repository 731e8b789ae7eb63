import type { MigrationConfig } from '../core/config.js';
import type { BigKeyCopier, CheckpointStore, KeySink, KeySource, UnitCheckpoint, UnitDescriptor } from '../core/contracts.js';
import { ClusterRouter } from '../redis/cluster-router.js';
import { openPipe } from '../redis/connect.js';
import type { OpenedSink } from '../redis/target-access.js';
import { clusterPipeReader } from '../verify/cluster-state-reader.js';
import { sameValue } from '../verify/compare-value.js';
import { diffingBigKeyCopier } from '../verify/diffing-big-key.js';
import { DiffingSink } from '../verify/diffing-sink.js';
import { clientReader, type KeyStateReader, pipeReader } from '../verify/key-state-reader.js';
import { ReconcileTally } from './reconcile-tally.js';
import type { StructClients } from './struct-clients.js';

export interface ReconcileSessionOptions {
  /** Largest TTL difference between source and target that counts as equal (ms). @default 1000 */
  ttlToleranceMs?: number;
}

/** What a unit session copies through when it reconciles instead of copying. */
export interface ReconcileParts {
  source: KeySource;
  sink: KeySink;
  copyBigKey: BigKeyCopier;
  store: CheckpointStore;
  close(): Promise<void>;
}

/**
 * Turns a unit session's parts into a reconcile pass over the same copy loop (policy `replace`):
 * the sink writes only what differs (DiffingSink, reading the target over its own pipe, or per
 * master for a cluster), big keys are compared by type before they are copied, and the checkpoint
 * carries the pass's counts (ReconcileTally).
 */
export async function reconcileParts(args: {
  config: MigrationConfig;
  unit: UnitDescriptor;
  options: ReconcileSessionOptions;
  checkpoint: UnitCheckpoint;
  store: CheckpointStore;
  source: KeySource;
  sink: KeySink;
  copyBigKey: BigKeyCopier;
  /** The type-by-type clients of the unit (their owner closes them). */
  clients: Pick<StructClients, 'source' | 'target'>;
  destination: OpenedSink['destination'];
}): Promise<ReconcileParts> {
  const { config, unit, clients } = args;
  const ttlToleranceMs = args.options.ttlToleranceMs ?? 1000;
  let reader: KeyStateReader;
  let close: () => Promise<void>;
  if (args.destination.kind === 'cluster') {
    const router = await ClusterRouter.open(config.target);
    reader = clusterPipeReader(router, clientReader(clients.target));
    close = () => router.close();
  } else {
    const { address } = args.destination;
    const pipe = await openPipe('target', config.target, address, unit.targetDb);
    reader = pipeReader(pipe, 'target', address);
    close = async () => pipe.close();
  }
  const tally = new ReconcileTally();
  return {
    source: tally.source(args.source),
    sink: new DiffingSink(args.sink, {
      target: reader,
      ttlToleranceMs,
      sameValue: (key, type) => sameValue(clients.source, clients.target, key, type),
      onOutcome: tally.record,
    }),
    copyBigKey: diffingBigKeyCopier(args.copyBigKey, {
      source: clients.source,
      target: clients.target,
      ttlToleranceMs,
      onOutcome: tally.record,
    }),
    store: tally.store(args.store, args.checkpoint),
    close,
  };
}
