import type { Redis } from 'ioredis';
import type { EndpointConfig } from '../core/config.js';
import type { KeySink } from '../core/contracts.js';
import { ConfigError, TargetUnavailableError } from '../core/errors.js';
import { probeAccess } from './access-probe.js';
import { ClusterKeySink } from './cluster-key-sink.js';
import { ClusterRouter } from './cluster-router.js';
import { describeShard, discoverCluster, requireAllSlotsServed } from './cluster-topology.js';
import { tryCommand } from './command-probe.js';
import { connectFirst, connectNode, openPipe, quit } from './connect.js';
import { nodeState, parseInfo } from './info.js';
import { RedisKeySink } from './key-sink.js';
import type { SlotRange } from './key-slot.js';
import { type MasterEndpoint, resolveMasterEndpoint } from './master-endpoint.js';
import { replyText } from './redis-errors.js';
import { ReplyError } from './resp-pipe.js';
import { canWait } from './restore-pipeline.js';
import { resolveSentinel } from './sentinel-resolve.js';
import { clusterNodeIds, type ServerIdentity } from './server-identity.js';

export interface TargetLayout {
  kind: 'standalone' | 'cluster' | 'sentinel';
  redisVersion: string;
  /** Highest db number the target accepts (databases - 1); a cluster has db 0 only. */
  maxDb: number;
  /** The node(s) writes go to: the server, the master the sentinels name, or every cluster master. */
  masters: string[];
  /** The same masters, labelled, with a cluster master's slots: walked for keys only the target has (planTargetUnits). */
  nodes: TargetNode[];
  /** Who the target is, to tell whether it is the source itself (see same-server.ts). */
  identity: ServerIdentity;
  notes: string[];
}

export interface TargetNode {
  address: string;
  slots?: SlotRange[];
  /** "127.0.0.1:6380", "mymaster master 10.0.0.7:6379", "shard 0-5460 @ 127.0.0.1:7000 (e20ae9b9)". */
  label: string;
}

export interface OpenedSink {
  sink: KeySink;
  /** Where the writes go: a cluster (slot-routed), or one node's address. */
  destination: MasterEndpoint;
  close(): Promise<void>;
}

/**
 * Checks the target answers and finds what it is, before anything is written: a standalone
 * server, a cluster (from any one node's address), or the master a sentinel set names. Also checks
 * the user may run RESTORE and DBSIZE (on every master of a cluster: ACLs are per node).
 */
/** `writesWithRestore`: false in struct mode, where the target needs no RESTORE permission. */
export async function discoverTarget(endpoint: EndpointConfig, writesWithRestore = true): Promise<TargetLayout> {
  const notes: string[] = [];
  if (endpoint.topology === 'sentinel') {
    const view = await resolveSentinel('target', endpoint);
    notes.push(`target: sentinel ${view.sentinel} names ${view.master} master of ${view.masterName}`);
    const { version, maxDb, runId } = await inspectMaster(endpoint, view.master, notes, writesWithRestore);
    return {
      kind: 'sentinel',
      redisVersion: version,
      maxDb,
      masters: [view.master],
      nodes: [{ address: view.master, label: `${view.masterName} master ${view.master}` }],
      identity: { nodes: [{ address: view.master, runId }], clusterNodeIds: [] },
      notes,
    };
  }
  const { client, address } = await connectFirst('target', endpoint, endpoint.addresses);
  let state: ReturnType<typeof nodeState>;
  try {
    state = nodeState(parseInfo(await client.info()));
  } finally {
    await quit(client);
  }
  if (endpoint.topology === 'cluster' && state.clusterEnabled === false) {
    throw new ConfigError([
      `target ${address} is not a cluster node (INFO says cluster_enabled:0): set type ` +
        `= "standalone" ([target], v3) or cluster = false ([redis_writer], v4)`,
    ]);
  }
  if (!(state.clusterEnabled ?? endpoint.topology === 'cluster')) {
    const { version, maxDb, runId } = await inspectMaster(endpoint, address, notes, writesWithRestore);
    return {
      kind: 'standalone',
      redisVersion: version,
      maxDb,
      masters: [address],
      nodes: [{ address, label: address }],
      identity: { nodes: [{ address, runId }], clusterNodeIds: [] },
      notes,
    };
  }
  if (endpoint.topology === 'standalone') notes.push(`target ${address} is a cluster node (cluster_enabled:1): writing to it as a cluster`);
  const topology = await discoverCluster('target', endpoint, [address, ...endpoint.addresses], notes);
  requireAllSlotsServed('target', topology);
  const identities = await Promise.all(
    topology.shards.map(async ({ master: { address } }) => {
      const node = await connectNode('target', endpoint, address);
      try {
        await probeAccess('target', node, address, endpoint.username, writesWithRestore);
        return { address, runId: nodeState(parseInfo(await node.info('server'))).runId };
      } finally {
        await quit(node);
      }
    }),
  );
  notes.push(
    `target cluster: ${topology.shards.length} master(s) (${topology.shards.map((s) => s.master.address).join(', ')}), ` +
      `layout from ${topology.via}`,
  );
  const masters = topology.shards.map((s) => s.master.address);
  return {
    kind: 'cluster',
    redisVersion: state.redisVersion,
    maxDb: 0,
    masters,
    nodes: topology.shards.map((shard) => ({ address: shard.master.address, slots: shard.slots, label: `shard ${describeShard(shard)}` })),
    identity: { nodes: identities, clusterNodeIds: clusterNodeIds(topology.shards) },
    notes,
  };
}

/** A standalone or sentinel-named master: must be a master, the user must be allowed to write; how many dbs. */
async function inspectMaster(
  endpoint: EndpointConfig,
  address: string,
  notes: string[],
  writesWithRestore: boolean,
): Promise<{ version: string; maxDb: number; runId: string }> {
  const client = await connectNode('target', endpoint, address);
  try {
    const state = nodeState(parseInfo(await client.info()));
    if (state.role === 'replica') {
      const hint =
        endpoint.topology === 'sentinel'
          ? 'a failover is in progress; run again in a moment'
          : `give the master's address${state.masterAddress ? ` (${state.masterAddress})` : ''}, or the sentinels with sentinel = true`;
      throw new TargetUnavailableError(`target ${address} is a read-only replica: ${hint}`, {
        retryable: endpoint.topology === 'sentinel',
      });
    }
    await probeAccess('target', client, address, endpoint.username, writesWithRestore);
    let maxDb = 15;
    const reply = await tryCommand<string[]>(client, 'CONFIG', ['GET', 'databases']);
    if (!reply.refused && reply.value[1]) maxDb = Number(reply.value[1]) - 1;
    else if (reply.refused) {
      const counted = await countDbsBySelect(client);
      notes.push(
        `target ${address}: CONFIG GET databases refused (${reply.reason}); ` +
          `${counted ? `found ${counted} dbs by SELECT instead` : 'assumed the default 16 dbs (0-15)'}`,
      );
      if (counted) maxDb = counted - 1;
    }
    return { version: state.redisVersion, maxDb, runId: state.runId };
  } finally {
    await quit(client);
  }
}

/**
 * Opens a sink on one target db: a standalone server SELECTed on it, the master the sentinels
 * name now (a session after a failover writes to the new master), or a cluster (db 0 only) whose
 * writes follow the slot map (see cluster-key-sink.ts).
 */
export async function openTargetDb(endpoint: EndpointConfig, db: number, note: (message: string) => void = () => {}): Promise<OpenedSink> {
  const master = await resolveMasterEndpoint('target', endpoint);
  if (master.kind === 'cluster') {
    if (db !== 0)
      throw new ConfigError([`target is a cluster, which has db 0 only; db ${db} cannot be written: map it with db_map = { "${db}" = 0 }`]);
    const router = await ClusterRouter.open(endpoint, note);
    return { sink: new ClusterKeySink(router), destination: master, close: () => router.close() };
  }
  const { address } = master;
  const pipe = await openPipe('target', endpoint, address, db);
  const [reply] = await pipe.send([['INFO', 'replication']]);
  const info = reply instanceof ReplyError ? undefined : parseInfo(String(reply));
  if (info && nodeState(info).role === 'replica') {
    pipe.close();
    throw new TargetUnavailableError(`target ${address} is a replica now (failover in progress); retrying`, { retryable: true });
  }
  if (!info) note(`target ${address}: INFO refused (${replyText(reply)}); not checking its role`);
  if (endpoint.topology !== 'sentinel')
    return { sink: new RedisKeySink(pipe, address), destination: master, close: async () => pipe.close() };
  // A sentinel-managed master: each batch counts only once its replicas have it (see ReplicaAck).
  const replicas = Number(info?.get('connected_slaves') ?? 0);
  const refused = replicas > 0 ? await canWait(pipe) : undefined;
  if (replicas === 0 || refused) {
    note(
      `target ${address}: ${refused ? `WAIT refused (${refused})` : 'no replica connected'}; ` +
        `writes are not confirmed by replicas, so a failover now may lose the last ones: ` +
        `run verify afterwards`,
    );
    return { sink: new RedisKeySink(pipe, address), destination: master, close: async () => pipe.close() };
  }
  return {
    sink: new RedisKeySink(pipe, address, undefined, { replicas, timeoutMs: 5_000 }),
    destination: master,
    close: async () => pipe.close(),
  };
}

/** Where CONFIG is blocked (ElastiCache, MemoryDB, Memorystore): the db count, by which SELECTs succeed. */
async function countDbsBySelect(client: Redis): Promise<number | undefined> {
  const selects = async (db: number): Promise<boolean | undefined> => {
    const result = await tryCommand(client, 'SELECT', [db]).catch((error: unknown) => ({
      refused: true as const,
      reason: replyText(error),
    }));
    if (!result.refused) return true;
    return /out of range|invalid DB index/i.test(result.reason) ? false : undefined;
  };
  try {
    if ((await selects(0)) !== true) return undefined;
    let ok = 0;
    let bad: number;
    if (await selects(15)) {
      ok = 15;
      for (bad = 32; (await selects(bad - 1)) === true && bad < 1 << 20; bad *= 2) ok = bad - 1;
    } else {
      bad = 15;
    }
    while (bad - ok > 1) {
      const mid = (ok + bad) >> 1;
      const r = await selects(mid);
      if (r === undefined) return undefined;
      if (r) ok = mid;
      else bad = mid;
    }
    return ok + 1;
  } finally {
    await tryCommand(client, 'SELECT', [0]).catch(() => {});
  }
}
