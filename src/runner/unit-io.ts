import type { ByteBudget } from '../core/byte-budget.js';
import type { MigrationConfig } from '../core/config.js';
import type { BigKeyCopier, KeySink, KeySource, UnitDescriptor } from '../core/contracts.js';
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
    });
    const copyBigKey: BigKeyCopier = async (key, replace) => {
      const result = await copyKeyByType(source, to, key, { replace });
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
