import { Cluster, type Redis } from 'ioredis';
import type { MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { AUTO_PIPELINING, fixCallBuffer } from '../redis/auto-pipelining.js';
import { ClusterRouter } from '../redis/cluster-router.js';
import { baseOptions, connectCluster, connectNode, openPipe, parseAddress, quit } from '../redis/connect.js';
import type { RespPipe } from '../redis/resp-pipe.js';
import { resolveSentinel } from '../redis/sentinel-resolve.js';
import { chooseUnitNode } from '../redis/source-node.js';
import type { RedisClient } from '../struct/contracts.js';
import { clusterPipeReader } from './cluster-state-reader.js';
import { clientReader, type KeyStateReader, pipeReader } from './key-state-reader.js';

// Per-batch reads go over RespPipes (key-state-reader.ts); the ioredis clients still send the size
// estimates and by-type comparisons one key at a time, many at once: see AUTO_PIPELINING. Node
// connections only (below: not for a cluster client).
const VERIFY_TUNING = AUTO_PIPELINING;

/**
 * The unit's source node as it is now (a failover may have moved its slots, a preferred replica
 * needs READONLY), the same choice a copy session makes.
 */
async function openUnitSourceClient(
  config: MigrationConfig,
  unit: UnitDescriptor,
): Promise<{ client: Redis; pipe: RespPipe; address: string }> {
  const choice = await chooseUnitNode(config.source, unit, undefined, []);
  const client = fixCallBuffer(await connectNode('source', config.source, choice.address, unit.sourceDb, VERIFY_TUNING));
  try {
    if (choice.readOnly) await client.readonly().catch(() => undefined);
    // The per-key reads go over the copy's lean data path; ioredis keeps SCAN, sizes and the by-type comparisons.
    const pipe = await openPipe('source', config.source, choice.address, unit.sourceDb, choice.readOnly);
    return { client, pipe, address: choice.address };
  } catch (error) {
    await quit(client);
    throw error;
  }
}

/** The two clients one unit is verified with: its source node and its target db. */
export interface VerifyClients {
  source: RedisClient;
  target: RedisClient;
  /** How TYPE, PTTL and DUMP are read per batch (compare-key.ts); ioredis commands per key when absent. */
  readers?: { source: KeyStateReader; target: KeyStateReader };
  close(): Promise<void>;
}

/** The seam for topologies: a function from a unit to its clients. */
export type OpenVerifyClients = (unit: UnitDescriptor) => Promise<VerifyClients>;

/**
 * Clients for a standalone (or sentinel-named) target: the unit's source node SELECTed on its db,
 * and the target master SELECTed on the unit's target db. A cluster target needs a client that
 * follows slots (an ioredis Cluster works: the verifier sends single-key commands only).
 */
export function nodeClients(config: MigrationConfig, targetKind: 'standalone' | 'cluster' | 'sentinel'): OpenVerifyClients {
  if (targetKind === 'cluster') return clusterTargetClients(config);
  return async (unit) => {
    const targetAddress =
      config.target.topology === 'sentinel' ? (await resolveSentinel('target', config.target)).master : config.target.addresses[0]!;
    const source = await openUnitSourceClient(config, unit);
    let target: Redis | undefined;
    try {
      target = fixCallBuffer(await connectNode('target', config.target, targetAddress, unit.targetDb, VERIFY_TUNING));
      const targetPipe = await openPipe('target', config.target, targetAddress, unit.targetDb);
      const connected = target;
      return {
        source: source.client,
        target: connected,
        readers: { source: pipeReader(source.pipe, 'source', source.address), target: pipeReader(targetPipe, 'target', targetAddress) },
        close: async () => {
          source.pipe.close();
          targetPipe.close();
          await Promise.all([quit(source.client), quit(connected)]);
        },
      };
    } catch (error) {
      source.pipe.close();
      await Promise.all([quit(source.client), target ? quit(target) : undefined]);
      throw error;
    }
  };
}

/** A cluster target (db 0 only): a slot-following client and the copy's per-master router, per unit. */
function clusterTargetClients(config: MigrationConfig): OpenVerifyClients {
  return async (unit) => {
    if (unit.targetDb !== 0) throw new ConfigError([`verify: a cluster target has db 0 only; unit ${unit.id} maps to db ${unit.targetDb}`]);
    const opened = await openUnitSourceClient(config, unit);
    const source = opened.client;
    // No auto-pipelining here: ioredis computes a pipelined command's slot from the key turned into
    // a string, which maps binary keys to the wrong slot and fails the pipeline.
    const target = new Cluster(config.target.addresses.map(parseAddress), {
      redisOptions: baseOptions(config.target, 'target'),
      lazyConnect: true,
      enableOfflineQueue: true,
    });
    let router: ClusterRouter;
    try {
      await connectCluster(target, 'target');
      router = await ClusterRouter.open(config.target);
    } catch (error) {
      opened.pipe.close();
      await quit(source);
      target.disconnect();
      throw error;
    }
    return {
      source,
      target,
      // Per-master pipes for the batches; the Cluster client for redirects and the by-type paths.
      readers: { source: pipeReader(opened.pipe, 'source', opened.address), target: clusterPipeReader(router, clientReader(target)) },
      close: async () => {
        opened.pipe.close();
        await router.close();
        await quit(source);
        await target.quit().catch(() => target.disconnect());
      },
    };
  };
}
