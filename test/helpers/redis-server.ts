import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from './free-port.js';
import { launch, stopAll } from './managed-process.js';
import type { TlsMaterial } from './tls.js';

export { stopAll };

export interface AclUser {
  name: string;
  password: string;
  /** ACL rules appended after `on >password`, e.g. '~* +@all -dump'. */
  rules: string;
}

export interface RedisServerOptions {
  /** requirepass (and masterauth, so the node can also replicate from peers). */
  password?: string;
  aclUsers?: AclUser[];
  /** Serve ONLY TLS: `port 0` + `tls-port`, no client certificates required. */
  tls?: TlsMaterial;
  /** cluster-enabled yes, node timeout 2000 ms. */
  cluster?: boolean;
  /** Appended to the redis-server command line (after the config file). */
  extraArgs?: string[];
}

export interface ClientOptions {
  db?: number;
  username?: string;
  /** Defaults to the server's password. */
  password?: string;
  /** Merged last: e.g. a wrong `tls.ca` or `retryStrategy` for negative tests. */
  redisOptions?: RedisOptions;
}

export interface RedisServer {
  readonly host: '127.0.0.1';
  /** The port clients use: the TLS port when `tls` is set. */
  readonly port: number;
  /** Cluster bus port (cluster mode only). */
  readonly busPort?: number;
  readonly pid: number;
  readonly dir: string;
  readonly password?: string;
  readonly tls?: TlsMaterial;
  /** '127.0.0.1:PORT' */
  readonly address: string;
  /** Connection options (host/port/auth/TLS) for clients built elsewhere. */
  connectionOptions(opts?: ClientOptions): RedisOptions;
  /** An ioredis client with the right auth/TLS; disconnected on stop(). */
  client(opts?: ClientOptions): Redis;
  isRunning(): boolean;
  logTail(lines?: number): string;
  /** SIGTERM (SIGKILL after ~3 s), wait for exit, rm -rf dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL, for failure tests. Call stop() afterwards to clean the dir. */
  kill(): void;
}

/** Quotes one config-file argument the way redis' sdssplitargs reads it. */
export function confQuote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** ioredis TLS options trusting the given CA file. */
export function tlsClientOptions(caFile: string): NonNullable<RedisOptions['tls']> {
  return { ca: readFileSync(caFile) };
}

/**
 * One readiness attempt: connect (no retries, no offline queue), then read
 * INFO's process_id so the caller can check it reached its own process.
 */
export async function probeProcessId(options: RedisOptions): Promise<number> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: 1_000,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // After a refused connect ioredis arms a (ref'd) timer to destroy the
    // already-dead socket, 2 s by default, which would hold the event loop
    // open that long after the last failed probe.
    disconnectTimeout: 100,
  });
  // connect() often rejects with a bare "Connection is closed."; the cause
  // (ECONNREFUSED, NOAUTH, a TLS error...) arrives as an 'error' event.
  let cause: unknown;
  client.on('error', (err) => {
    cause = err;
  });
  try {
    await client.connect();
    const info = await client.info('server');
    const match = /process_id:(\d+)/.exec(info);
    if (!match?.[1]) throw new Error('INFO server has no process_id');
    return Number(match[1]);
  } catch (err) {
    throw cause ?? err;
  } finally {
    client.disconnect();
  }
}

function configLines(opts: RedisServerOptions, dir: string, port: number, busPort?: number) {
  const lines = [
    'bind 127.0.0.1',
    `dir ${confQuote(dir)}`,
    'logfile redis.log',
    'daemonize no',
    // Throwaway data: never write RDB/AOF.
    'save ""',
    'appendonly no',
    // Default is 5 s of waiting for more replicas before a diskless full
    // sync; every replica attach in a test would pay it.
    'repl-diskless-sync-delay 0',
    // An idle master only advances its replication offset with these pings
    // (default every 10 s), and CLUSTER SLOTS hides replicas whose offset is
    // still 0, so a fresh cluster would look replica-less for up to 10 s.
    'repl-ping-replica-period 1',
  ];
  if (opts.tls) {
    lines.push(
      'port 0',
      `tls-port ${port}`,
      `tls-cert-file ${confQuote(opts.tls.certFile)}`,
      `tls-key-file ${confQuote(opts.tls.keyFile)}`,
      `tls-ca-cert-file ${confQuote(opts.tls.caFile)}`,
      'tls-auth-clients no',
      // Replication and the cluster bus must use TLS too: no plain port exists.
      'tls-replication yes',
      'tls-cluster yes',
    );
  } else {
    lines.push(`port ${port}`);
  }
  if (opts.password !== undefined) {
    lines.push(`requirepass ${confQuote(opts.password)}`, `masterauth ${confQuote(opts.password)}`);
  }
  for (const user of opts.aclUsers ?? []) {
    lines.push(`user ${user.name} on ${confQuote(`>${user.password}`)} ${user.rules}`);
  }
  if (opts.cluster) {
    lines.push(
      'cluster-enabled yes',
      'cluster-config-file nodes.conf',
      'cluster-node-timeout 2000',
      // Otherwise a node learns its own IP only from a MEET peer, so a lone
      // node (1-master cluster) would advertise an empty host in CLUSTER SLOTS.
      'cluster-announce-ip 127.0.0.1',
      // Explicit bus port: the default (port + 10000) overflows 65535 for
      // ports from the ephemeral range that freePort() hands out.
      `cluster-port ${busPort}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Starts a throwaway redis-server bound to 127.0.0.1 in its own temp dir. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const clients = new Set<Redis>();
  let busPort: number | undefined;
  const baseOptions = (port: number, opts: ClientOptions = {}): RedisOptions => ({
    host: '127.0.0.1',
    port,
    db: opts.db,
    username: opts.username,
    password: opts.password ?? options.password,
    tls: options.tls ? tlsClientOptions(options.tls.caFile) : undefined,
    ...opts.redisOptions,
  });

  const proc = await launch({
    prefix: 'redis-ferry-redis-',
    logFile: 'redis.log',
    async args({ dir, port }) {
      busPort = options.cluster ? await freePort() : undefined;
      const confFile = join(dir, 'redis.conf');
      await writeFile(confFile, configLines(options, dir, port, busPort));
      return [confFile, ...(options.extraArgs ?? [])];
    },
    // Probe as the default user: with ACL users but no password it is nopass.
    probe: (port) => probeProcessId(baseOptions(port)),
    beforeStop() {
      for (const c of clients) c.disconnect();
      clients.clear();
    },
  });

  return {
    host: '127.0.0.1',
    port: proc.port,
    busPort,
    pid: proc.pid,
    dir: proc.dir,
    password: options.password,
    tls: options.tls,
    address: `127.0.0.1:${proc.port}`,
    connectionOptions: (opts) => baseOptions(proc.port, opts),
    client(opts) {
      const client = new Redis(baseOptions(proc.port, opts));
      clients.add(client);
      client.once('end', () => clients.delete(client));
      return client;
    },
    isRunning: () => proc.isRunning(),
    logTail: (lines) => proc.logTail(lines),
    stop: () => proc.stop(),
    kill: () => proc.kill(),
  };
}
