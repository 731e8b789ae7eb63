import type { EndpointConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { SourceUnavailableError } from '../core/errors.js';
import { type ClusterNode, type ClusterShard, clusterSeeds, describeShard, discoverCluster } from './cluster-topology.js';
import { formatRanges, type SlotRange, slotSet } from './key-slot.js';
import { pickReplica, resolveSentinel } from './sentinel-resolve.js';

/** The node a unit should read now. */
export interface SourceNodeChoice {
  address: string;
  /** The role it must have; undefined for a plain standalone address (whatever it is). */
  role?: 'master' | 'replica';
  nodeId?: string;
  /** A cluster replica: send READONLY so it serves reads. */
  readOnly: boolean;
  /** For logs: "shard 0-5460 master 127.0.0.1:7000 (e20ae9b9)", "mymaster replica 127.0.0.1:6380". */
  label: string;
  /** For a replica: its master, to fall back on when the replica refuses READONLY. */
  fallback?: SourceNodeChoice;
}

/** A cluster shard's node to scan: a healthy replica when preferred (the previous one if still fit), else the master. */
export function pickShardNode(
  shard: ClusterShard,
  preferReplica: boolean,
  previous: string | undefined,
  notes: string[],
): SourceNodeChoice {
  const master: SourceNodeChoice = {
    address: shard.master.address,
    role: 'master',
    ...(shard.master.id ? { nodeId: shard.master.id } : {}),
    readOnly: false,
    label: `shard ${describeShard(shard)} master`,
  };
  if (!preferReplica) return master;
  const healthy = shard.replicas.filter((r) => r.healthy).sort((a, b) => a.address.localeCompare(b.address));
  const replica: ClusterNode | undefined = healthy.find((r) => r.address === previous) ?? healthy[0];
  if (!replica) {
    notes.push(`source shard ${formatRanges(shard.slots)} has no healthy replica; reading its master ${shard.master.address}`);
    return master;
  }
  return {
    address: replica.address,
    role: 'replica',
    ...(replica.id ? { nodeId: replica.id } : {}),
    readOnly: true,
    label: `shard ${describeShard(shard, replica)} replica`,
    fallback: master,
  };
}

function overlaps(shard: ClusterShard, unitSlots: readonly SlotRange[]): boolean {
  const has = slotSet(shard.slots);
  return unitSlots.some(([a, b]) => {
    for (let s = a; s <= b; s++) if (has(s)) return true;
    return false;
  });
}

/**
 * Finds the node that serves a unit now. A cluster unit is found by its slot ranges, not by node
 * id, so a failover is followed; a sentinel unit asks the sentinels again; a standalone unit reads
 * the address it was planned with. `previous` (the node the checkpoint's cursor belongs to) is
 * preferred among equally fit replicas, so a resumed unit keeps its cursor when it can.
 */
export async function chooseUnitNode(
  endpoint: EndpointConfig,
  unit: UnitDescriptor,
  previous: string | undefined,
  notes: string[],
): Promise<SourceNodeChoice> {
  if (unit.slots) {
    const topology = await discoverCluster('source', endpoint, clusterSeeds('source', endpoint, [unit.sourceAddress]), notes);
    const owners = topology.shards.filter((s) => overlaps(s, unit.slots!));
    const unitSet = slotSet(owners.flatMap((s) => s.slots));
    const uncovered = unit.slots.some(([a, b]) => {
      for (let s = a; s <= b; s++) if (!unitSet(s)) return true;
      return false;
    });
    if (uncovered || owners.some((o) => !o.master.healthy)) {
      throw new SourceUnavailableError(
        `source cluster: slots ${formatRanges(unit.slots)} have no healthy master right now (failover in progress?); retrying`,
        { retryable: true },
      );
    }
    if (owners.length > 1) {
      throw new SourceUnavailableError(
        `source cluster was resharded during the migration: slots ${formatRanges(unit.slots)} ` +
          `of unit ${unit.id} are now served by ${owners.length} masters (${owners.map((o) => o.master.address).join(', ')}). ` +
          `The plan is per shard: start over with --fresh`,
      );
    }
    return pickShardNode(owners[0]!, endpoint.preferReplica, previous, notes);
  }
  if (endpoint.topology === 'sentinel') return chooseSentinelNode(endpoint, previous, notes);
  return { address: unit.sourceAddress, readOnly: false, label: unit.sourceAddress };
}

/** The sentinels' current master, or one of its healthy replicas when preferred. */
export async function chooseSentinelNode(
  endpoint: EndpointConfig,
  previous: string | undefined,
  notes: string[],
): Promise<SourceNodeChoice> {
  const view = await resolveSentinel('source', endpoint);
  const master: SourceNodeChoice = {
    address: view.master,
    role: 'master',
    readOnly: false,
    label: `${view.masterName} master ${view.master}`,
  };
  if (!endpoint.preferReplica) return master;
  const replica = pickReplica(view.replicas, previous);
  if (!replica) {
    notes.push(`source sentinel set ${view.masterName} has no healthy replica; reading its master ${view.master}`);
    return master;
  }
  return {
    address: replica.address,
    role: 'replica',
    readOnly: false,
    label: `${view.masterName} replica ${replica.address}`,
    fallback: master,
  };
}
