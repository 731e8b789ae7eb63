import { Cluster, type Redis } from 'ioredis';
import type { MigrationConfig } from '../core/config.js';
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
    let target: RedisClient;
    if (destination.kind === 'cluster') {
      target = await connectCluster(
        new Cluster(config.target.addresses.map(parseAddress), {
          redisOptions: baseOptions(config.target, 'target'),
          lazyConnect: true,
          enableOfflineQueue: true,
        }),
        'target',
      );
    } else {
      target = await connectNode('target', config.target, destination.address, unit.targetDb);
    }
    return {
      source,
      target,
      close: async () => {
        await quit(source);
        if (target instanceof Cluster) await target.quit().catch(() => target.disconnect());
        else await quit(target);
      },
    };
  } catch (error) {
    await quit(source);
    throw error;
  }
}
