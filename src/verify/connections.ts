import type { MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { Cluster, type Redis } from 'ioredis';
import { chooseUnitNode } from '../redis/source-node.js';
import { AUTO_PIPELINING, fixCallBuffer } from '../redis/auto-pipelining.js';
import { baseOptions, connectCluster, connectNode, parseAddress, quit } from '../redis/connect.js';
import { resolveSentinel } from '../redis/sentinel-resolve.js';
import type { RedisClient } from '../struct/contracts.js';

// The verifier sends TYPE, PTTL and DUMP one key at a time (so a cluster client can route each),
// thousands at once: see AUTO_PIPELINING. Node connections only (below: not for a cluster client).
const VERIFY_TUNING = AUTO_PIPELINING;

/**
 * The unit's source node as it is now (a failover may have moved its slots, a preferred replica
 * needs READONLY), the same choice a copy session makes.
 */
async function openUnitSourceClient(config: MigrationConfig, unit: UnitDescriptor): Promise<Redis> {
  const choice = await chooseUnitNode(config.source, unit, undefined, []);
  const client = fixCallBuffer(await connectNode('source', config.source, choice.address, unit.sourceDb, VERIFY_TUNING));
  if (choice.readOnly) await client.readonly().catch(() => undefined);
  return client;
}

/** The two clients one unit is verified with: its source node and its target db. */
export interface VerifyClients {
  source: RedisClient;
  target: RedisClient;
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
    const targetAddress = config.target.topology === 'sentinel' ? (await resolveSentinel('target', config.target)).master : config.target.addresses[0]!;
    const source = await openUnitSourceClient(config, unit);
    try {
      const target = fixCallBuffer(await connectNode('target', config.target, targetAddress, unit.targetDb, VERIFY_TUNING));
      return { source, target, close: async () => void (await Promise.all([quit(source), quit(target)])) };
    } catch (error) {
      await quit(source);
      throw error;
    }
  };
}

/** A cluster target (db 0 only): one slot-following client, shared by every unit, closed by the last. */
function clusterTargetClients(config: MigrationConfig): OpenVerifyClients {
  return async (unit) => {
    if (unit.targetDb !== 0) throw new ConfigError([`verify: a cluster target has db 0 only; unit ${unit.id} maps to db ${unit.targetDb}`]);
    const source = await openUnitSourceClient(config, unit);
    // No auto-pipelining here: ioredis computes a pipelined command's slot from the key turned into
    // a string, which maps binary keys to the wrong slot and fails the pipeline.
    const target = new Cluster(config.target.addresses.map(parseAddress), { redisOptions: baseOptions(config.target, 'target'), lazyConnect: true, enableOfflineQueue: true });
    try {
      await connectCluster(target, 'target');
    } catch (error) {
      await quit(source);
      throw error;
    }
    return {
      source,
      target,
      close: async () => {
        await quit(source);
        await target.quit().catch(() => target.disconnect());
      },
    };
  };
}
