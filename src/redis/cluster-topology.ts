import type { Redis } from 'ioredis';
import type { EndpointConfig } from '../core/config.js';
import { SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { type ProbeResult, tryCommand } from './command-probe.js';
import { connectFirst, formatAddress, parseAddress, quit } from './connect.js';
import { formatRanges, keySlot, mergeRanges, SLOT_COUNT, type SlotRange, slotCount } from './key-slot.js';
import { isRedirect, redisFailure, type Side } from './redis-errors.js';

export interface ClusterNode {
  /** Node id (40 hex characters); absent when the server did not say. */
  id?: string;
  address: string;
  healthy: boolean;
}

export interface ClusterShard {
  master: ClusterNode;
  replicas: ClusterNode[];
  slots: SlotRange[];
}

export interface ClusterTopology {
  /** Shards that serve at least one slot, ordered by their first slot. */
  shards: ClusterShard[];
  /** Which command the layout came from, or 'assumed'. */
  via: 'CLUSTER SHARDS' | 'CLUSTER SLOTS' | 'CLUSTER NODES' | 'assumed';
  /** Slots no master serves right now (failover in progress, or a broken cluster). */
  uncovered: number;
}

type Reply = unknown;

/** RESP3 maps arrive as flat [k, v, …] arrays under ioredis' legacy reply mapping, or as objects. */
function record(value: Reply): Record<string, Reply> {
  if (Array.isArray(value)) {
    const out: Record<string, Reply> = {};
    for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = value[i + 1];
    return out;
  }
  return (value ?? {}) as Record<string, Reply>;
}

/** A usable host: '' and '?' mean "the address you are talking to" (an unknown endpoint). */
function hostOr(host: unknown, fallbackHost: string): string {
  const h = host === undefined || host === null ? '' : String(host);
  return h === '' || h === '?' ? fallbackHost : h;
}

export function parseShards(reply: Reply, seedHost: string, tls: boolean): ClusterShard[] {
  return (reply as Reply[]).flatMap((entry) => {
    const shard = record(entry);
    const flat = (shard.slots as number[] | undefined) ?? [];
    const slots: SlotRange[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) slots.push([Number(flat[i]), Number(flat[i + 1])]);
    const nodes = ((shard.nodes as Reply[] | undefined) ?? []).map((n) => {
      const node = record(n);
      const port = tls ? (node['tls-port'] ?? node.port) : (node.port ?? node['tls-port']);
      return {
        node: {
          id: String(node.id),
          address: formatAddress(hostOr(node.endpoint ?? node.ip, seedHost), String(port)),
          healthy: node.health === 'online',
        },
        master: node.role === 'master',
      };
    });
    const master = nodes.find((n) => n.master)?.node;
    if (!master || slots.length === 0) return [];
    return [{ master, replicas: nodes.filter((n) => !n.master).map((n) => n.node), slots }];
  });
}

export function parseSlots(reply: Reply, seedHost: string): ClusterShard[] {
  return (reply as Reply[]).map((entry) => {
    const [start, end, ...nodes] = entry as [number, number, ...Reply[][]];
    const toNode = (n: Reply[]): ClusterNode => ({
      ...(n[2] ? { id: String(n[2]) } : {}),
      address: formatAddress(hostOr(n[0], seedHost), String(n[1])),
      healthy: true,
    });
    return { master: toNode(nodes[0]!), replicas: nodes.slice(1).map(toNode), slots: [[Number(start), Number(end)]] };
  });
}

export function parseNodes(text: string, seedHost: string): ClusterShard[] {
  const shards = new Map<string, ClusterShard>();
  const replicas: { node: ClusterNode; masterId: string }[] = [];
  for (const line of text.trim().split('\n')) {
    const [id = '', addr = '', flagList = '', masterId = '-', , , , link = '', ...slotTokens] = line.trim().split(' ');
    const flags = flagList.split(',');
    const [hostPort = ''] = addr.split(/[@,]/);
    const colon = hostPort.lastIndexOf(':');
    const node: ClusterNode = {
      id,
      address: formatAddress(hostOr(hostPort.slice(0, colon).replace(/^\[|\]$/g, ''), seedHost), hostPort.slice(colon + 1)),
      healthy: link === 'connected' && !flags.some((f) => ['fail', 'fail?', 'noaddr', 'handshake'].includes(f)),
    };
    if (flags.includes('master')) {
      // "[slot->-id]" / "[slot-<-id]" mark slots being migrated; the owner is the plain entry.
      const slots = slotTokens
        .filter((t) => t && !t.startsWith('['))
        .map((t): SlotRange => {
          const [a, b] = t.split('-');
          return [Number(a), Number(b ?? a)];
        });
      if (slots.length > 0) shards.set(id, { master: node, replicas: [], slots });
    } else if (flags.includes('slave') || flags.includes('replica')) {
      replicas.push({ node, masterId });
    }
  }
  for (const { node, masterId } of replicas) shards.get(masterId)?.replicas.push(node);
  return [...shards.values()];
}

/** One shard per master address: a master with several ranges, or a proxy serving every slot. */
function mergeByMaster(shards: ClusterShard[]): ClusterShard[] {
  const byAddress = new Map<string, ClusterShard>();
  for (const shard of shards) {
    const known = byAddress.get(shard.master.address);
    if (!known) {
      byAddress.set(shard.master.address, { master: { ...shard.master }, replicas: [...shard.replicas], slots: [...shard.slots] });
      continue;
    }
    known.slots.push(...shard.slots);
    for (const r of shard.replicas) if (!known.replicas.some((k) => k.address === r.address)) known.replicas.push(r);
  }
  return [...byAddress.values()].map((s) => ({ ...s, slots: mergeRanges(s.slots) })).sort((a, b) => a.slots[0]![0] - b.slots[0]![0]);
}

/**
 * Reads the cluster layout from one node, using what the service allows, in order of preference:
 * CLUSTER SHARDS (7.0+), CLUSTER SLOTS, CLUSTER NODES. When all three are refused, assumes the
 * node is a single endpoint serving every slot (as proxies like ElastiCache Serverless behave),
 * and says so in `notes`.
 */
export async function readClusterTopology(
  client: Redis,
  address: string,
  tls: boolean,
  side: Side,
  notes: string[],
): Promise<ClusterTopology> {
  const seedHost = parseAddress(address).host;
  const refused: string[] = [];
  const attempt = async <T>(
    name: ClusterTopology['via'],
    sub: string,
    parse: (v: T) => ClusterShard[],
  ): Promise<ClusterShard[] | undefined> => {
    const result: ProbeResult<T> = await tryCommand<T>(client, 'CLUSTER', [sub]);
    if (result.refused) {
      refused.push(`${name} (${result.reason})`);
      return undefined;
    }
    return parse(result.value);
  };
  let via: ClusterTopology['via'] = 'CLUSTER SHARDS';
  let shards = await attempt<Reply>('CLUSTER SHARDS', 'SHARDS', (v) => parseShards(v, seedHost, tls));
  if (!shards) {
    via = 'CLUSTER SLOTS';
    shards = await attempt<Reply>('CLUSTER SLOTS', 'SLOTS', (v) => parseSlots(v, seedHost));
  }
  if (!shards) {
    via = 'CLUSTER NODES';
    shards = await attempt<string>('CLUSTER NODES', 'NODES', (v) => parseNodes(String(v), seedHost));
  }
  if (!shards) {
    via = 'assumed';
    await assertSingleEndpoint(client, address, side, refused);
    shards = [{ master: { address, healthy: true }, replicas: [], slots: [[0, SLOT_COUNT - 1]] }];
    notes.push(
      `${side} ${address}: the cluster layout commands are refused (${refused.join('; ')}); ` +
        `assumed ${address} is a single endpoint serving all ${SLOT_COUNT} slots (a proxy, ` +
        `e.g. ElastiCache Serverless), as keys of every slot are served there without MOVED`,
    );
  } else if (refused.length > 0) {
    notes.push(`${side} ${address}: ${refused.join('; ')} refused; read the cluster layout with ${via}`);
  }
  const merged = mergeByMaster(shards);
  return { shards: merged, via, uncovered: SLOT_COUNT - slotCount(mergeRanges(merged.flatMap((s) => s.slots))) };
}

/** Key names spread over the slot space: one per 1024-slot stretch. */
const PROBE_KEYS: Buffer[] = (() => {
  const keys: Buffer[] = [];
  const seen = new Set<number>();
  for (let i = 0; seen.size < SLOT_COUNT / 1024; i++) {
    const key = Buffer.from(`__redis-ferry:slot-probe:${i}`);
    const stretch = keySlot(key) >> 10;
    if (!seen.has(stretch)) {
      seen.add(stretch);
      keys.push(key);
    }
  }
  return keys;
})();

/**
 * With every layout command refused, the node may be a proxy serving all slots, or one node of a
 * real cluster, which would make us copy one shard and silently skip the rest. A real node answers
 * MOVED for keys of slots it does not own, so read-only probes over the slot space tell them apart
 * (PTTL on a source, a RESTORE with an invalid payload, which never writes, on a target).
 */
async function assertSingleEndpoint(client: Redis, address: string, side: Side, refused: string[]): Promise<void> {
  const pipeline = client.pipeline();
  for (const key of PROBE_KEYS) {
    if (side === 'source') pipeline.pttl(key);
    else pipeline.call('RESTORE', key, '0', Buffer.from([0]));
  }
  const replies = (await pipeline.exec()) ?? [];
  const moved = replies.map(([error]) => (error ? redisFailure(error) : undefined)).find((failure) => failure && isRedirect(failure))?.text;
  if (moved) {
    const Cls = side === 'source' ? SourceUnavailableError : TargetUnavailableError;
    throw new Cls(
      `${side} ${address} is one node of a multi-node cluster (${moved}), but ${refused.join('; ')}: ` +
        `its shards cannot be listed. Allow CLUSTER SLOTS (or SHARDS/NODES) for this user`,
    );
  }
}

/** Addresses of cluster nodes seen so far in this process, per endpoint: seeds when a node is gone. */
const knownNodes = new Map<string, Set<string>>();

function endpointKey(side: Side, endpoint: EndpointConfig): string {
  return `${side} ${[...endpoint.addresses].sort().join(',')}`;
}

/**
 * Seeds to try, in order: the configured addresses (often a DNS name the service keeps pointing
 * at live nodes), then `also` (nodes known to the caller), then every node this process has seen
 * for the endpoint, so a run survives the loss of the node it was given.
 */
export function clusterSeeds(side: Side, endpoint: EndpointConfig, also: readonly string[] = []): string[] {
  return [...new Set([...endpoint.addresses, ...also, ...(knownNodes.get(endpointKey(side, endpoint)) ?? [])])];
}

/** Refuses a layout in which some slots have no master: their keys could be neither read nor written (retryable: a failover ends). */
export function requireAllSlotsServed(side: Side, topology: ClusterTopology): void {
  if (topology.uncovered === 0) return;
  const Cls = side === 'source' ? SourceUnavailableError : TargetUnavailableError;
  throw new Cls(
    `${side} cluster: ${topology.uncovered} of 16384 slots have no master (a failover ` +
      `in progress, or a broken cluster); run again once CLUSTER INFO says cluster_state:ok`,
    { retryable: true },
  );
}

/** Connects to any reachable seed and reads the layout; remembers the nodes for later seeds. */
export async function discoverCluster(
  side: Side,
  endpoint: EndpointConfig,
  seeds: readonly string[],
  notes: string[],
): Promise<ClusterTopology & { seed: string }> {
  const { client, address } = await connectFirst(side, endpoint, seeds);
  try {
    const topology = await readClusterTopology(client, address, endpoint.tls.enabled, side, notes);
    const known = knownNodes.get(endpointKey(side, endpoint)) ?? new Set<string>();
    for (const shard of topology.shards) for (const node of [shard.master, ...shard.replicas]) known.add(node.address);
    knownNodes.set(endpointKey(side, endpoint), known);
    return { ...topology, seed: address };
  } finally {
    await quit(client);
  }
}

/** "0-5460 @ 127.0.0.1:7000 (3f2a9c1e)" for logs and labels. */
export function describeShard(shard: ClusterShard, node: ClusterNode = shard.master): string {
  return `${formatRanges(shard.slots)} @ ${node.address}${node.id ? ` (${node.id.slice(0, 8)})` : ''}`;
}
