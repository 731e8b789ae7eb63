import { Cluster, type Redis } from 'ioredis';
import type { EndpointConfig, MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { baseOptions, connectCluster, connectNode, parseAddress, quit } from '../redis/connect.js';
import type { OpenedSource } from '../redis/source-access.js';
import type { OpenedSink } from '../redis/target-access.js';
import type { RedisClient } from '../struct/contracts.js';

export interface StructClients {
  source: Redis;
  target: RedisClient;
  close(): Promise<void>;
}

/**
 * ioredis clients for the type-by-type copier (big keys, cross-version targets, struct mode): the
 * node the unit scans, SELECTed on its db (READONLY on a cluster replica), and the same target the
 * data pipe writes to — a slot-following Cluster client when the target is a cluster.
 */
export async function openStructClients(
  config: MigrationConfig,
  unit: UnitDescriptor,
  node: OpenedSource['node'],
  destination: OpenedSink['destination'],
): Promise<StructClients> {
  const source = await connectNode('source', config.source, node.address, unit.sourceDb);
  try {
    if (node.readOnly) await source.readonly();
    const target = await openTargetClient(config.target, destination, unit.targetDb);
    return {
      source,
      target,
      close: async () => {
        await quit(source);
        await closeClient(target);
      },
    };
  } catch (error) {
    await quit(source);
    throw error;
  }
}

/** An ioredis client on the target the data pipe writes to: a slot-following Cluster client for a cluster, else the node on `db`. */
export async function openTargetClient(endpoint: EndpointConfig, destination: OpenedSink['destination'], db: number): Promise<RedisClient> {
  if (destination.kind === 'node') return connectNode('target', endpoint, destination.address, db);
  return connectCluster(
    new Cluster(endpoint.addresses.map(parseAddress), {
      redisOptions: baseOptions(endpoint, 'target'),
      lazyConnect: true,
      enableOfflineQueue: true,
    }),
    'target',
  );
}

/** Closes a client of openTargetClient. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client instanceof Cluster) await client.quit().catch(() => client.disconnect());
  else await quit(client);
}
