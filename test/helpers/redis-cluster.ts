import { Cluster, type ClusterOptions, type Redis } from 'ioredis';
import { registerTeardown } from './managed-process.js';
import { type RedisServer, startRedis } from './redis-server.js';
import type { TlsMaterial } from './tls.js';
import { parseInfo, waitUntil } from './wait.js';

export interface ClusterStartOptions {
  masters?: number;
  replicasPerMaster?: number;
  /** requirepass + masterauth on every node. */
  password?: string;
  /** TLS-only nodes (client port, replication and cluster bus). */
  tls?: TlsMaterial;
}

export interface RedisCluster {
  nodes: RedisServer[];
  /** Current masters; failover() swaps entries in place. */
  masters: RedisServer[];
  /** Current replicas; replicas[i * replicasPerMaster + k] follows masters[i]. */
  replicas: RedisServer[];
  /** Any one node, to seed a cluster client. */
  seed: RedisServer;
  startupNodes: { host: string; port: number }[];
  /** ioredis Cluster client with the right auth/TLS; disconnected on stop(). */
  client(options?: ClusterOptions): Cluster;
  /** CLUSTER FAILOVER on `replica`; resolves once every node sees it as master. */
  failover(replica: RedisServer): Promise<void>;
  /** Resolves once the whole cluster is converged and healthy again. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const SLOTS = 16384;
const BAD_FLAGS = ['fail', 'fail?', 'handshake', 'noaddr'];

interface NodeLine {
  id: string;
  role: 'master' | 'slave';
  masterId: string;
  healthy: boolean;
  text: string;
}

/** CLUSTER NODES, normalised to what every node should agree on. */
function parseNodes(raw: string): NodeLine[] {
  return raw
    .trim()
    .split('\n')
    .map((line): NodeLine => {
      const [id = '', addr = '', flagList = '', masterId = '', , , , link = '', ...slots] = line.trim().split(' ');
      const flags = flagList.split(',');
      const role = flags.includes('master') ? 'master' : 'slave';
      const endpoint = addr.split('@')[0];
      return {
        id,
        role,
        masterId,
        healthy: link === 'connected' && !flags.some((f) => BAD_FLAGS.includes(f)),
        text: `${id} ${endpoint} ${role} ${masterId} ${slots.join(' ')}`,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** CLUSTER SLOTS as a comparable string (replica order is not significant). */
function slotMap(raw: unknown[]): { text: string; replicaCounts: number[] } {
  type Endpoint = [ip: string, port: number, id: string];
  const ranges = (raw as [number, number, Endpoint, ...Endpoint[]][])
    .map(([start, end, master, ...replicas]) => ({
      start,
      text: `${start}-${end} ${master[2]} [${replicas
        .map((r) => r[2])
        .sort()
        .join(',')}]`,
      replicas: replicas.length,
    }))
    .sort((a, b) => a.start - b.start);
  return { text: ranges.map((r) => r.text).join('\n'), replicaCounts: ranges.map((r) => r.replicas) };
}

/**
 * Builds a cluster by hand (no `redis-cli --cluster create` prompt): assign
 * slot ranges, MEET every pair of nodes, then REPLICATE.
 */
export async function startCluster(options: ClusterStartOptions = {}): Promise<RedisCluster> {
  const { masters: masterCount = 3, replicasPerMaster = 0, password, tls } = options;
  const total = masterCount * (1 + replicasPerMaster);
  const started = await Promise.allSettled(Array.from({ length: total }, () => startRedis({ cluster: true, password, tls })));
  const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw (failed as PromiseRejectedResult).reason;
  }

  const admin = new Map<RedisServer, Redis>(nodes.map((n) => [n, n.client()]));
  const adm = (n: RedisServer) => admin.get(n) as Redis;
  const cmd = (n: RedisServer, ...args: string[]) => adm(n).call('CLUSTER', ...args);
  const clients = new Set<Cluster>();
  const masters = nodes.slice(0, masterCount);
  const replicas = nodes.slice(masterCount);
  const first = nodes[0] as RedisServer;
  const ids = new Map<RedisServer, string>();

  const healthy = async (): Promise<true | string> => {
    let nodesView: string | undefined;
    let slotsView: string | undefined;
    for (const node of nodes) {
      const info = parseInfo(String(await cmd(node, 'INFO')));
      if (info.cluster_state !== 'ok') return `${node.address} cluster_state:${info.cluster_state}`;
      if (info.cluster_slots_ok !== String(SLOTS)) return `${node.address} slots_ok ${info.cluster_slots_ok}`;
      if (info.cluster_known_nodes !== String(total)) return `${node.address} knows ${info.cluster_known_nodes}`;
      const view = parseNodes(String(await cmd(node, 'NODES')));
      const sick = view.find((l) => !l.healthy);
      if (sick) return `${node.address} sees ${sick.id} unhealthy`;
      if (view.filter((l) => l.role === 'master').length !== masterCount) return `${node.address} master count`;
      const text = view.map((l) => l.text).join('\n');
      if (nodesView !== undefined && text !== nodesView) return `${node.address} disagrees on CLUSTER NODES`;
      nodesView = text;
      const slots = slotMap((await cmd(node, 'SLOTS')) as unknown[]);
      if (slots.replicaCounts.some((c) => c !== replicasPerMaster)) return `${node.address} replica counts`;
      if (slotsView !== undefined && slots.text !== slotsView) return `${node.address} disagrees on CLUSTER SLOTS`;
      slotsView = slots.text;
      const self = view.find((l) => l.id === ids.get(node));
      if (self?.role === 'slave') {
        const repl = parseInfo(await adm(node).info('replication'));
        if (repl.master_link_status !== 'up') return `${node.address} master_link_status:${repl.master_link_status}`;
      }
    }
    return true;
  };
  const waitHealthy = (timeoutMs?: number) => waitUntil(healthy, { description: 'cluster to converge', timeoutMs });

  try {
    for (const [i, node] of nodes.entries()) {
      ids.set(node, String(await cmd(node, 'MYID')));
      // Distinct epochs up front (as redis-cli does) so nodes need not
      // resolve epoch collisions before agreeing on slot ownership.
      await cmd(node, 'SET-CONFIG-EPOCH', String(i + 1));
    }
    for (const [i, master] of masters.entries()) {
      const start = Math.floor((i * SLOTS) / masterCount);
      const end = Math.floor(((i + 1) * SLOTS) / masterCount) - 1;
      await cmd(master, 'ADDSLOTSRANGE', String(start), String(end));
    }
    // MEET every pair rather than only the first node: waiting for gossip to
    // spread membership costs ~2 s. The bus port is not port + 10000 (see
    // startRedis), so it is passed explicitly.
    for (const [i, node] of nodes.entries()) {
      for (const peer of nodes.slice(0, i)) {
        await cmd(node, 'MEET', peer.host, String(peer.port), String(peer.busPort));
      }
    }
    await waitUntil(
      async () => {
        for (const node of nodes) {
          const view = parseNodes(String(await cmd(node, 'NODES')));
          if (view.length !== total || view.some((l) => !l.healthy)) return `${node.address} handshaking`;
        }
        return true;
      },
      { description: 'all nodes to meet' },
    );
    for (const [j, replica] of replicas.entries()) {
      const master = masters[Math.floor(j / replicasPerMaster)] as RedisServer;
      // Retried: the replica may not yet have learnt via gossip that the
      // target is a master ("ERR I don't know about node" / "not a master").
      await waitUntil(async () => (await cmd(replica, 'REPLICATE', ids.get(master) as string)) === 'OK' || 'retry', {
        description: `${replica.address} to replicate ${master.address}`,
      });
    }
    await waitHealthy();
  } catch (err) {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    throw err;
  }

  const nodeById = (id: string) => nodes.find((n) => ids.get(n) === id);
  const stop = async () => {
    unregister();
    for (const c of clients) c.disconnect();
    clients.clear();
    await Promise.allSettled(nodes.map((n) => n.stop()));
  };
  const unregister = registerTeardown(stop);
  return {
    nodes,
    masters,
    replicas,
    seed: first,
    startupNodes: nodes.map((n) => ({ host: n.host, port: n.port })),
    client(clusterOptions = {}) {
      const { host: _h, port: _p, ...redisOptions } = first.connectionOptions();
      const client = new Cluster(
        nodes.map((n) => ({ host: n.host, port: n.port })),
        { ...clusterOptions, redisOptions: { ...redisOptions, ...clusterOptions.redisOptions } },
      );
      clients.add(client);
      return client;
    },
    async failover(replica) {
      const replicaIndex = replicas.indexOf(replica);
      const replicaId = ids.get(replica);
      if (replicaIndex < 0 || replicaId === undefined) throw new Error(`${replica.address} is not a replica here`);
      const self = parseNodes(String(await cmd(replica, 'NODES'))).find((l) => l.id === replicaId);
      const oldMaster = self && nodeById(self.masterId);
      if (!oldMaster) throw new Error(`cannot find the master of ${replica.address}`);
      await cmd(replica, 'FAILOVER');
      await waitUntil(
        async () => {
          for (const node of nodes) {
            const view = parseNodes(String(await cmd(node, 'NODES')));
            const promoted = view.find((l) => l.id === replicaId);
            if (promoted?.role !== 'master') return `${node.address} still sees ${replica.address} as replica`;
            const demoted = view.find((l) => l.id === ids.get(oldMaster));
            if (demoted?.role !== 'slave') return `${node.address} still sees ${oldMaster.address} as master`;
          }
          return true;
        },
        { description: `${replica.address} to be promoted` },
      );
      masters[masters.indexOf(oldMaster)] = replica;
      replicas[replicaIndex] = oldMaster;
      await waitHealthy();
    },
    waitHealthy,
    stop,
  };
}
