import type { MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { connectNode, quit } from '../redis/connect.js';
import { resolveSentinel } from '../redis/sentinel-resolve.js';
import type { RedisClient } from '../struct/contracts.js';

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
  if (targetKind === 'cluster') throw new ConfigError(['verify: this build compares against standalone or sentinel targets; a cluster target needs a slot-following client (pass `open` to verifyMigration)']);
  return async (unit) => {
    const targetAddress = config.target.topology === 'sentinel' ? (await resolveSentinel('target', config.target)).master : config.target.addresses[0]!;
    const source = await connectNode('source', config.source, unit.sourceAddress, unit.sourceDb);
    try {
      const target = await connectNode('target', config.target, targetAddress, unit.targetDb);
      return { source, target, close: async () => void (await Promise.all([quit(source), quit(target)])) };
    } catch (error) {
      await quit(source);
      throw error;
    }
  };
}
