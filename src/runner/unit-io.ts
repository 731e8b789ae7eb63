import type { ByteBudget } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import type { BigKeyCopier, KeySink, KeySource, UnitDescriptor } from '../core/contracts.js';
import { formatKey } from '../core/key-format.js';
import { type OpenedSource, openUnitSource } from '../redis/source-access.js';
import { openTargetDb } from '../redis/target-access.js';
import type { RedisClient } from '../struct/contracts.js';
import { copyKeyByType, StructFallbackSink } from '../struct/index.js';
import { openStructClients, type StructClients } from './struct-clients.js';

/** Everything one unit reads and writes through: its source node, its target db, the by-type copier. */
export interface UnitIo {
  source: KeySource;
  node: OpenedSource['node'];
  /** Absent in a dry run. */
  sink?: KeySink;
  fallback?: StructFallbackSink;
  copyBigKey?: BigKeyCopier;
  /** ioredis clients for commands the data pipes do not speak (TYPE, DEL); absent in a dry run. */
  clients?: { source: import('ioredis').Redis; target: RedisClient };
  close(): Promise<void>;
}

export interface UnitIoOptions {
  config: MigrationConfig;
  unit: UnitDescriptor;
  budget: ByteBudget;
  /** The source node the unit's cursor belongs to (checkpoint.scanNode's address), to prefer it. */
  previous?: string;
  note: (message: string) => void;
}

/**
 * Opens a unit's connections: the node that serves it now, the target db, and (unless a dry run)
 * the ioredis clients of the type-by-type path. The copy session and the live follower each open
 * their own, so either can reconnect without disturbing the other.
 */
export async function openUnitIo(options: UnitIoOptions): Promise<UnitIo> {
  const { config, unit, note } = options;
  const struct = config.mode === 'struct';
  const readOptions = {
    ...config.scan,
    bigKeyThreshold: struct ? 0 : config.bigKeyThreshold,
    skipDump: struct,
    note,
    budget: options.budget,
  };
  const opened = await openUnitSource(config.source, unit, readOptions, options.previous, note);
  if (config.dryRun) return { source: opened.source, node: opened.node, close: () => opened.close() };
  let target: Awaited<ReturnType<typeof openTargetDb>> | undefined;
  let clients: StructClients | undefined;
  try {
    target = await openTargetDb(config.target, unit.targetDb, note);
    clients = await openStructClients(config, unit, opened.node, target.destination);
    const { source, target: to } = clients;
    const fallback = new StructFallbackSink(target.sink, source, to, {
      mode: struct ? 'struct' : 'auto',
      onSwitch: (reason) => note(`unit ${unit.id}: ${reason}; copying by type for the rest of the unit`),
      onTooBig: config.onTooBig,
      onSkipTooBig: skippedTooBigNotes(unit, note),
    });
    const copyBigKey: BigKeyCopier = async (key, replace) => {
      const result = await copyKeyByType(source, to, key, { replace });
      if (result.status === 'too-big') await fallback.handleTooBig(key, result.bytes);
      return { status: result.status, bytes: result.bytes };
    };
    const opens = { target, clients };
    return {
      source: opened.source,
      node: opened.node,
      sink: fallback,
      fallback,
      copyBigKey,
      clients: { source, target: to },
      close: async () => {
        await Promise.all([opened.close(), opens.target.close(), opens.clients.close()]);
      },
    };
  } catch (error) {
    await Promise.all([opened.close(), target?.close(), clients?.close()]);
    throw error;
  }
}

/** Keys named when skipped as too big, per session: the count (skippedTooBig) covers the rest. */
const TOO_BIG_NAMED = 5;
const BYTES = new Intl.NumberFormat('en-US');

/** Names the first keys a session skips because the target cannot hold them (--on-too-big skip). */
export function skippedTooBigNotes(unit: UnitDescriptor, note: (message: string) => void): (key: Buffer, bytes: number) => void {
  let named = 0;
  return (key, bytes) => {
    if (++named > TOO_BIG_NAMED) return;
    const more = named === TOO_BIG_NAMED ? ' (further ones are counted, not named)' : '';
    note(
      `unit ${unit.id}: skipped key ${formatKey(key)}, a string of ${BYTES.format(bytes)} ` +
        `bytes, longer than the target's proto-max-bulk-len${more}`,
    );
  };
}
