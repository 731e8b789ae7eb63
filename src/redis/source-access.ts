import type { Redis } from 'ioredis';
import type { EndpointConfig } from '../core/config.js';
import type { KeySource, UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { connectNode, openPipe } from './connect.js';
import { parseInfo, parseKeyspace } from './info.js';
import { RedisKeySource, type ScanOptions } from './key-source.js';

/** One node the source is read from; a standalone server is one shard. */
export interface SourceShard {
  /** Stable id: the address for a standalone server, the slot ranges for a cluster shard. */
  id: string;
  address: string;
  slots?: [number, number][];
}

export interface SourceLayout {
  kind: 'standalone' | 'cluster';
  shards: SourceShard[];
  /** Keys per db, summed over shards. */
  keyspace: Map<number, number>;
  redisVersion: string;
  /** What discovery had to assume (a refused probe, a topology override), for the log. */
  notes: string[];
}

export interface OpenedSource {
  source: KeySource;
  close(): Promise<void>;
}

/** Finds out what the source is and which dbs hold keys, from its first address. */
export async function discoverSource(endpoint: EndpointConfig): Promise<SourceLayout> {
  const address = endpoint.addresses[0]!;
  const client = await connectNode('source', endpoint, address);
  try {
    const info = parseInfo(await client.info());
    const clustered = info.get('cluster_enabled') === '1';
    if (endpoint.topology === 'cluster' || endpoint.topology === 'sentinel' || (endpoint.topology === 'auto' && clustered)) {
      throw new ConfigError([`source ${address} is a ${clustered ? 'cluster' : endpoint.topology} deployment; this build copies standalone sources only`]);
    }
    return {
      kind: 'standalone',
      shards: [{ id: address, address }],
      keyspace: parseKeyspace(await client.info('keyspace')),
      redisVersion: info.get('redis_version') ?? 'unknown',
      notes: [],
    };
  } finally {
    await quit(client);
  }
}

/** Opens a connection for one unit: its shard's node, SELECTed on its db. */
export async function openUnitSource(endpoint: EndpointConfig, unit: UnitDescriptor, scan: ScanOptions): Promise<OpenedSource> {
  const pipe = await openPipe('source', endpoint, unit.sourceAddress, unit.sourceDb);
  return { source: new RedisKeySource(pipe, unit.sourceAddress, scan), close: async () => pipe.close() };
}

export async function quit(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
