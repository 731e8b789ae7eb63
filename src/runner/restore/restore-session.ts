import type { BigKeyCopier, CheckpointStore, KeySink, UnitCheckpoint, UnitDescriptor } from '../../core/contracts.js';
import { copyUnit } from '../../core/copy-unit.js';
import { InternalError } from '../../core/errors.js';
import type { KeyFilter } from '../../core/key-filter.js';
import type { RateLimiter } from '../../core/rate-limiter.js';
import type { RestoreConfig } from '../../core/restore-config.js';
import { openTargetDb } from '../../redis/target-access.js';
import type { RedisClient } from '../../struct/contracts.js';
import { StructFallbackSink } from '../../struct/index.js';
import { closeClient, openTargetClient } from '../struct-clients.js';
import { skippedTooBigNotes } from '../unit-io.js';
import { reportStructStats } from '../unit-session.js';
import { decodedWriter, writeDecodedKey } from './decoded-writer.js';
import type { OpenedRdb } from './rdb-file.js';
import { RdbKeySource, rdbCursorOrder } from './rdb-key-source.js';

export interface RestoreSessionOptions {
  config: RestoreConfig;
  rdb: OpenedRdb;
  unit: UnitDescriptor;
  store: CheckpointStore;
  checkpoint: UnitCheckpoint;
  filter: KeyFilter;
  limiter?: RateLimiter;
  shouldStop: () => boolean;
  /** Batches the session restores at most (see CopyUnitOptions.maxBatches). */
  maxBatches?: number;
  onProgress?: (checkpoint: UnitCheckpoint) => void;
  note: (message: string) => void;
}

/**
 * One attempt at a range unit: walk its bytes of the file from the checkpoint with the copy loop,
 * writing to the target db with RESTORE (the object's bytes as a payload: the fast path). Keys over
 * the big-key threshold, every key once the target refused the file's RDB version (the sink's
 * switch, as for a SCAN copy), and every key in struct mode are decoded from the file and written
 * by type in chunks (decoded-writer.ts). A dry run walks and counts, and writes nothing.
 */
export async function runRestoreSession(options: RestoreSessionOptions): Promise<UnitCheckpoint> {
  const { config, rdb, unit, note } = options;
  const range = unit.rdbRange;
  if (!range) throw new InternalError(`unit ${unit.id} of a restore has no byte range`);
  const struct = config.mode === 'struct';
  const source = new RdbKeySource({
    source: rdb.source,
    header: rdb.header,
    range: { from: range.from, to: range.to, db: unit.sourceDb },
    count: config.scan.count,
    bigKeyBytes: struct ? 0 : config.bigKeyThreshold,
    match: config.scan.match,
    type: config.scan.type,
  });
  let target: Awaited<ReturnType<typeof openTargetDb>> | undefined;
  let client: RedisClient | undefined;
  try {
    let sink: KeySink | undefined;
    let byType: StructFallbackSink | undefined;
    let copyBigKey: BigKeyCopier | undefined;
    if (!config.dryRun) {
      target = await openTargetDb(config.target, unit.targetDb, note);
      client = await openTargetClient(config.target, target.destination, unit.targetDb);
      const to = client;
      const fallback = new StructFallbackSink(target.sink, decodedWriter(to, rdb.header.version), to, {
        mode: struct ? 'struct' : 'auto',
        onSwitch: (reason) => note(`unit ${unit.id}: ${reason}; decoding the file and writing by type for the rest of the unit`),
        onTooBig: config.onTooBig,
        onSkipTooBig: skippedTooBigNotes(unit, note),
      });
      sink = byType = fallback;
      copyBigKey = async (key, replace) => {
        const result = await writeDecodedKey(to, source.takeBig(key), rdb.header.version, { replace });
        if (result.status === 'too-big') await fallback.handleTooBig(key, result.bytes);
        return { status: result.status, bytes: result.bytes };
      };
    }
    const done = await copyUnit({
      source,
      sink,
      filter: options.filter,
      policy: config.onExistingKey,
      store: options.store,
      checkpoint: options.checkpoint,
      limiter: options.limiter,
      shouldStop: options.shouldStop,
      maxBatches: options.maxBatches,
      onProgress: options.onProgress,
      copyBigKey,
      cursorOrder: rdbCursorOrder,
    });
    if (byType) reportStructStats(unit, byType, note);
    return done;
  } finally {
    await Promise.all([source.close(), target?.close(), client ? closeClient(client) : undefined]);
  }
}
