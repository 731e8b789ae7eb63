import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { launch, registerTeardown } from './managed-process.js';
import { confQuote, probeProcessId, type RedisServer, startRedis } from './redis-server.js';
import { parseInfo, waitForEvent, waitUntil } from './wait.js';

export interface SentinelSetOptions {
  masterName?: string;
  replicas?: number;
  sentinels?: number;
  /** requirepass/masterauth on the data nodes; sentinels get auth-pass. */
  password?: string;
}

export interface SentinelProcess {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** Plain ioredis client to the sentinel itself (for SENTINEL commands). */
  client(): Redis;
  stop(): Promise<void>;
  kill(): void;
}

export interface SentinelSet {
  master: RedisServer;
  replicas: RedisServer[];
  sentinels: SentinelProcess[];
  masterName: string;
  /** '127.0.0.1:PORT' of every sentinel. */
  sentinelAddresses: string[];
  /** ioredis client that resolves the master through the sentinels. */
  client(options?: RedisOptions): Redis;
  /**
   * SENTINEL FAILOVER through the first sentinel; resolves with the promoted server once that
   * sentinel announces the switch (+switch-master), so its get-master-addr-by-name names it.
   */
  failover(): Promise<RedisServer>;
  stop(): Promise<void>;
}

async function startSentinel(masterName: string, master: RedisServer, quorum: number, password?: string): Promise<SentinelProcess> {
  const clients = new Set<Redis>();
  const proc = await launch({
    prefix: 'redis-ferry-sentinel-',
    logFile: 'sentinel.log',
    async args({ dir, port }) {
      // Sentinel rewrites its config file at runtime, so it must be a
      // writable file of its own rather than command-line options.
      const lines = [
        'bind 127.0.0.1',
        `port ${port}`,
        `dir ${confQuote(dir)}`,
        'logfile sentinel.log',
        'daemonize no',
        `sentinel monitor ${masterName} 127.0.0.1 ${master.port} ${quorum}`,
        `sentinel down-after-milliseconds ${masterName} 2000`,
        `sentinel failover-timeout ${masterName} 5000`,
      ];
      if (password !== undefined) lines.push(`sentinel auth-pass ${masterName} ${confQuote(password)}`);
      const confFile = join(dir, 'sentinel.conf');
      await writeFile(confFile, `${lines.join('\n')}\n`);
      return [confFile, '--sentinel'];
    },
    probe: (port) => probeProcessId({ host: '127.0.0.1', port }),
    beforeStop() {
      for (const c of clients) c.disconnect();
      clients.clear();
    },
  });
  return {
    host: '127.0.0.1',
    port: proc.port,
    pid: proc.pid,
    dir: proc.dir,
    address: `127.0.0.1:${proc.port}`,
    client() {
      const client = new Redis({ host: '127.0.0.1', port: proc.port });
      clients.add(client);
      return client;
    },
    stop: () => proc.stop(),
    kill: () => proc.kill(),
  };
}

/** SENTINEL replicas/sentinels entries arrive as flat [k, v, ...] arrays (RESP2) or maps. */
function asRecord(entry: unknown): Record<string, string> {
  if (!Array.isArray(entry)) return entry as Record<string, string>;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < entry.length; i += 2) out[String(entry[i])] = String(entry[i + 1]);
  return out;
}

const isUp = (e: Record<string, string>) => !/s_down|o_down|disconnected/.test(e.flags ?? '');

/** See SentinelSet.failover: follows the sentinel's own announcement rather than a clock. */
async function failover(sentinel: SentinelProcess, masterName: string, servers: RedisServer[]): Promise<RedisServer> {
  const subscriber = sentinel.client();
  const admin = sentinel.client();
  try {
    const switched = new Promise<string>((resolve) => {
      subscriber.on('message', (channel: string, message: string) => {
        // "<master name> <old ip> <old port> <new ip> <new port>"
        if (channel === '+switch-master' && message.startsWith(`${masterName} `)) resolve(message);
      });
    });
    await subscriber.subscribe('+switch-master');
    // Refused (NOGOODSLAVE) while the sentinel has not yet seen the replica in sync: try again.
    await waitUntil(async () => (await admin.call('SENTINEL', 'FAILOVER', masterName)) === 'OK' || 'not accepted', {
      description: 'the sentinel to accept SENTINEL FAILOVER',
    });
    const [, , , host, port] = (await waitForEvent(switched, `${sentinel.address} switching ${masterName} (+switch-master)`)).split(' ');
    const promoted = servers.find((s) => s.address === `${host}:${port}`);
    if (!promoted) throw new Error(`+switch-master names ${host}:${port}, which is not a server of this set`);
    return promoted;
  } finally {
    subscriber.disconnect();
    admin.disconnect();
  }
}

/**
 * Starts a master, `replicas` replicas of it, and `sentinels` sentinels
 * monitoring it; resolves once every sentinel knows the whole topology.
 */
export async function startSentinelSet(options: SentinelSetOptions = {}): Promise<SentinelSet> {
  const { masterName = 'mymaster', replicas: replicaCount = 1, sentinels: sentinelCount = 3, password } = options;
  // Majority quorum: 2 for the usual 3 sentinels, still reachable with 1.
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const servers: RedisServer[] = [];
  const sentinels: SentinelProcess[] = [];
  const clients = new Set<Redis>();
  const stop = async () => {
    unregister();
    for (const c of clients) c.disconnect();
    clients.clear();
    await Promise.allSettled([...sentinels, ...servers].map((p) => p.stop()));
  };
  const unregister = registerTeardown(stop);
  try {
    const master = await startRedis({ password });
    servers.push(master);
    const replicas = await Promise.all(Array.from({ length: replicaCount }, () => startRedis({ password })));
    servers.push(...replicas);
    const masterAdmin = master.client();
    const replicaAdmin = replicas.map((r) => [r, r.client()] as const);
    for (const [, client] of replicaAdmin) await client.replicaof(master.host, String(master.port));
    // Replicas must be attached before the sentinels start: a sentinel learns
    // replicas from the master's INFO, which it otherwise re-reads only every 10 s.
    await waitUntil(
      async () => {
        for (const [replica, client] of replicaAdmin) {
          const info = parseInfo(await client.info('replication'));
          if (info.master_link_status !== 'up') return `${replica.address} link ${info.master_link_status}`;
        }
        const info = parseInfo(await masterAdmin.info('replication'));
        return info.connected_slaves === String(replicaCount) || `master has ${info.connected_slaves} replicas`;
      },
      { description: 'replicas to sync' },
    );
    sentinels.push(
      ...(await Promise.all(Array.from({ length: sentinelCount }, () => startSentinel(masterName, master, quorum, password)))),
    );
    const admin = sentinels.map((s) => [s, s.client()] as const);
    await waitUntil(
      async () => {
        for (const [sentinel, client] of admin) {
          const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
          if (addr?.[0] !== master.host || addr[1] !== String(master.port)) {
            return `${sentinel.address} reports master ${JSON.stringify(addr)}`;
          }
          const seen = ((await client.call('SENTINEL', 'replicas', masterName)) as unknown[]).map(asRecord);
          if (seen.filter(isUp).length !== replicaCount) return `${sentinel.address} sees ${seen.length} replicas`;
          const peers = ((await client.call('SENTINEL', 'sentinels', masterName)) as unknown[]).map(asRecord);
          if (peers.filter(isUp).length !== sentinelCount - 1) {
            return `${sentinel.address} sees ${peers.length} other sentinels`;
          }
        }
        return true;
      },
      { description: 'sentinels to discover the topology' },
    );
    for (const [, client] of [...admin, ...replicaAdmin, [master, masterAdmin] as const]) client.disconnect();
    return {
      master,
      replicas,
      sentinels,
      masterName,
      sentinelAddresses: sentinels.map((s) => s.address),
      client(redisOptions = {}) {
        const client = new Redis({
          sentinels: sentinels.map((s) => ({ host: s.host, port: s.port })),
          name: masterName,
          password,
          ...redisOptions,
        });
        clients.add(client);
        return client;
      },
      failover: () => failover(sentinels[0]!, masterName, servers),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
