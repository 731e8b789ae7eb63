import type { EndpointConfig } from '../core/config.js';
import type { KeySource, UnitDescriptor } from '../core/contracts.js';
import { ConfigError, MigrationError, SourceUnavailableError } from '../core/errors.js';
import { probeAccess } from './access-probe.js';
import { discoverCluster, requireAllSlotsServed } from './cluster-topology.js';
import { connectFirst, connectNode, openPipe, quit } from './connect.js';
import { GuardedKeySource } from './guarded-key-source.js';
import { nodeState, parseInfo, parseKeyspace } from './info.js';
import { type ReadOptions, RedisKeySource, type ScanOptions } from './key-source.js';
import { replyText } from './redis-errors.js';
import { ReplyError, type RespPipe } from './resp-pipe.js';
import { clusterNodeIds, type ServerIdentity } from './server-identity.js';
import { chooseSentinelNode, chooseUnitNode, pickShardNode, type SourceNodeChoice } from './source-node.js';

export { quit };

/** One node the source is read from; a standalone server is one shard. */
export interface SourceShard {
  /** Stable id: the address for a standalone server, the sentinel master name, "slots-0-5460" for a cluster shard. */
  id: string;
  /** The node the unit scans: the master, or a replica when preferred. */
  address: string;
  slots?: [number, number][];
  /** Cluster node id of that node, when known. */
  nodeId?: string;
  /** For the plan listing: "shard 0-5460 @ 127.0.0.1:7000 (e20ae9b9) master". */
  label: string;
}

export interface SourceLayout {
  kind: 'standalone' | 'cluster' | 'sentinel';
  shards: SourceShard[];
  /** Keys per db, summed over shards. */
  keyspace: Map<number, number>;
  redisVersion: string;
  /** Who the source is, to tell whether the target is the same server (see same-server.ts). */
  identity: ServerIdentity;
  /** What discovery had to assume (a refused probe, a topology override), for the log. */
  notes: string[];
}

export interface OpenedSource {
  source: KeySource;
  /** The node this session reads, and its process identity (see UnitCheckpoint.scanNode). */
  node: { address: string; identity: string; label: string; readOnly?: boolean };
  close(): Promise<void>;
}

/**
 * Finds out what the source is and which dbs hold keys. A cluster is found from any one node
 * (the others are read from CLUSTER SHARDS/SLOTS/NODES); a sentinel set from its sentinels and
 * master name. Also checks the user may run SCAN, DUMP and PTTL on each node to be read.
 */
export async function discoverSource(endpoint: EndpointConfig): Promise<SourceLayout> {
  const notes: string[] = [];
  if (endpoint.topology === 'sentinel') {
    const node = await inspectNode(endpoint, await chooseSentinelNode(endpoint, undefined, notes), notes);
    notes.push(
      `source: the sentinels name ${node.choice.fallback?.address ?? node.address} master ` +
        `of ${endpoint.masterName}; reading ${node.choice.label}`,
    );
    return {
      kind: 'sentinel',
      shards: [{ id: endpoint.masterName!, address: node.address, label: node.choice.label }],
      keyspace: node.keyspace,
      redisVersion: node.version,
      identity: { nodes: [{ address: node.address, runId: node.runId }], clusterNodeIds: [] },
      notes,
    };
  }

  const { client, address } = await connectFirst('source', endpoint, endpoint.addresses);
  let info: Map<string, string>;
  try {
    info = parseInfo(await client.info());
  } finally {
    await quit(client);
  }
  const state = nodeState(info);
  if (endpoint.topology === 'cluster' && state.clusterEnabled === false) {
    throw new ConfigError([
      `source ${address} is not a cluster node (INFO says cluster_enabled:0): set cluster ` +
        `= false, or give the address of a node of the cluster`,
    ]);
  }
  const clustered = state.clusterEnabled ?? endpoint.topology === 'cluster';
  if (state.clusterEnabled === undefined && clustered)
    notes.push(`source ${address}: INFO has no cluster section; assumed a cluster as configured`);
  if (!clustered) {
    if (endpoint.preferReplica)
      notes.push(
        `source ${address} is a standalone server: prefer_replica applies to clusters and ` +
          `sentinel sets; give a replica's address to read from it`,
      );
    const node = await inspectNode(endpoint, { address, readOnly: false, label: address }, notes);
    return {
      kind: 'standalone',
      shards: [{ id: address, address, label: address }],
      keyspace: node.keyspace,
      redisVersion: node.version,
      identity: { nodes: [{ address, runId: node.runId }], clusterNodeIds: [] },
      notes,
    };
  }
  if (endpoint.topology === 'standalone')
    notes.push(`source ${address} is a cluster node (cluster_enabled:1): copying every shard of the cluster`);

  const topology = await discoverCluster('source', endpoint, [address, ...endpoint.addresses], notes);
  requireAllSlotsServed('source', topology);
  notes.push(
    `source cluster: ${topology.shards.length} shard(s), layout from ${topology.via}; ` +
      `one unit per shard and db, reading ${endpoint.preferReplica ? 'a replica of each (READONLY)' : 'each master'}`,
  );
  const nodes = await Promise.all(
    topology.shards.map((shard) => inspectNode(endpoint, pickShardNode(shard, endpoint.preferReplica, undefined, notes), notes)),
  );
  const keyspace = new Map<number, number>();
  for (const node of nodes) for (const [db, keys] of node.keyspace) keyspace.set(db, (keyspace.get(db) ?? 0) + keys);
  return {
    kind: 'cluster',
    shards: topology.shards.map((shard, i) => ({
      id: `slots-${shard.slots[0]![0]}-${shard.slots[0]![1]}`,
      address: nodes[i]!.address,
      slots: shard.slots,
      ...(nodes[i]!.choice.nodeId ? { nodeId: nodes[i]!.choice.nodeId } : {}),
      label: nodes[i]!.choice.label,
    })),
    keyspace,
    redisVersion: state.redisVersion,
    identity: { nodes: nodes.map((n) => ({ address: n.address, runId: n.runId })), clusterNodeIds: clusterNodeIds(topology.shards) },
    notes,
  };
}

interface InspectedNode {
  address: string;
  choice: SourceNodeChoice;
  keyspace: Map<number, number>;
  version: string;
  runId: string;
}

/** Connects to a chosen node (falling back to the master if a replica refuses READONLY), probes access, reads INFO. */
async function inspectNode(endpoint: EndpointConfig, choice: SourceNodeChoice, notes: string[]): Promise<InspectedNode> {
  const client = await connectNode('source', endpoint, choice.address);
  try {
    if (choice.readOnly && choice.fallback) {
      const refused = await client.readonly().then(
        () => undefined,
        (error: unknown) => replyText(error),
      );
      if (refused) {
        notes.push(`source replica ${choice.address} refused READONLY (${refused}); reading the master ${choice.fallback.address} instead`);
        return await inspectNode(endpoint, choice.fallback, notes);
      }
    }
    await probeAccess('source', client, choice.address, endpoint.username);
    const text = await client.info();
    const state = nodeState(parseInfo(text));
    if (choice.role && state.role !== choice.role) {
      throw new SourceUnavailableError(
        `source ${choice.address} is a ${state.role}, expected the ${choice.role} (failover in progress?); run again in a moment`,
        { retryable: true },
      );
    }
    return { address: choice.address, choice, keyspace: parseKeyspace(text), version: state.redisVersion, runId: state.runId };
  } finally {
    await quit(client);
  }
}

/**
 * Opens a unit's source: finds the node that serves it now (see source-node.ts), connects the data
 * pipe (SELECTed on the unit's db; READONLY on a cluster replica), and reads the node's identity.
 * `previous` is the node the checkpoint's cursor belongs to, preferred when it is still fit.
 */
export async function openUnitSource(
  endpoint: EndpointConfig,
  unit: UnitDescriptor,
  scan: ScanOptions & ReadOptions,
  previous?: string,
  note: (message: string) => void = () => {},
): Promise<OpenedSource> {
  const notes: string[] = [];
  let choice = await chooseUnitNode(endpoint, unit, previous, notes);
  let pipe: RespPipe;
  try {
    pipe = await openPipe('source', endpoint, choice.address, unit.sourceDb, choice.readOnly);
  } catch (error) {
    const readonlyRefused = error instanceof MigrationError && !error.retryable && /readonly/i.test(error.message);
    if (choice.role && error instanceof MigrationError && error.retryable) {
      // A node the cluster or the sentinels named, not one the user typed: it is down, and a
      // failover should replace it soon.
      throw new SourceUnavailableError(
        `source node ${choice.label} is unreachable (${error.message.replace(/\. Check the address.*$/, '')}); ` +
          `waiting for a failover to replace it`,
        { cause: error, retryable: true },
      );
    }
    if (!(choice.readOnly && choice.fallback && readonlyRefused)) throw error;
    notes.push(
      `source replica ${choice.address} refused READONLY (${replyText(error)}); reading the master ${choice.fallback.address} instead`,
    );
    choice = choice.fallback;
    pipe = await openPipe('source', endpoint, choice.address, unit.sourceDb, false);
  }
  for (const message of notes) note(message);
  let readPipe: RespPipe | undefined;
  try {
    const replies = await pipe.send([
      ['INFO', 'server'],
      ['INFO', 'replication'],
    ]);
    const bad = replies.find((r) => r instanceof ReplyError);
    if (bad) throw new SourceUnavailableError(`source ${choice.address} refused INFO (${replyText(bad)}); grant +info to the user`);
    const state = nodeState(parseInfo(replies.map(String).join('\n')));
    if (choice.role && state.role !== choice.role) {
      throw new SourceUnavailableError(
        `source ${choice.address} is a ${state.role}, expected the ${choice.role} (failover in progress); retrying`,
        { retryable: true },
      );
    }
    const identity =
      `${choice.address} ${state.role}${state.masterAddress ? ` of ${state.masterAddress}` : ''} ` + `run ${state.runId || 'unknown'}`;
    // A second connection for DUMP/PTTL, so SCAN replies never queue behind them (see RedisKeySource).
    readPipe = await openPipe('source', endpoint, choice.address, unit.sourceDb, choice.readOnly);
    const inner = new RedisKeySource(pipe, choice.address, { ...scan, idleRttMs: await idleRtt(pipe) }, undefined, readPipe);
    const source = new GuardedKeySource(inner, pipe, {
      address: choice.address,
      role: state.role,
      ...(state.masterAddress ? { masterAddress: state.masterAddress } : {}),
      ...(unit.slots ? { slots: unit.slots } : {}),
    });
    const reads = readPipe;
    return {
      source,
      node: { address: choice.address, identity, label: choice.label, readOnly: choice.readOnly },
      close: async () => {
        pipe.close();
        reads.close();
      },
    };
  } catch (error) {
    pipe.close();
    readPipe?.close();
    throw error;
  }
}

/** The smallest of three PING round trips on a fresh, idle connection (ms). */
async function idleRtt(pipe: RespPipe): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await pipe.send([['PING']]);
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
