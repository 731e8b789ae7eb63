import { readFileSync } from 'node:fs';
import { type Cluster, Redis, type RedisOptions } from 'ioredis';
import type { EndpointConfig } from '../core/config.js';
import { ConfigError, MigrationError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { CONNECTION_CLOSED, describeConnectError, redisFailure, type Side } from './redis-errors.js';
import { RespPipe } from './resp-pipe.js';

export interface HostPort {
  host: string;
  port: number;
}

/** host:port, with IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function parseAddress(address: string): HostPort {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(address);
  if (!m) throw new ConfigError([`address ${JSON.stringify(address)} must be host:port`]);
  return { host: m[1]!, port: Number(m[2]) };
}

/** ioredis TLS options for an endpoint; verification stays on unless the user turned it off. */
export function tlsOptions(endpoint: EndpointConfig, side: Side): RedisOptions['tls'] {
  if (!endpoint.tls.enabled) return undefined;
  let ca: Buffer | undefined;
  if (endpoint.tls.caFile) {
    try {
      ca = readFileSync(endpoint.tls.caFile);
    } catch (error) {
      throw new ConfigError([`${side} tls_ca_file ${endpoint.tls.caFile} cannot be read: ${(error as Error).message}`], { cause: error });
    }
  }
  return {
    ca,
    servername: endpoint.tls.servername,
    rejectUnauthorized: endpoint.tls.verify,
    ...(endpoint.tls.verify ? {} : { checkServerIdentity: () => undefined }),
  };
}

/** Options shared by every connection: fail fast while connecting, no silent offline queueing. */
export function baseOptions(endpoint: EndpointConfig, side: Side): RedisOptions {
  return {
    username: endpoint.username || undefined,
    password: endpoint.password || undefined,
    tls: tlsOptions(endpoint, side),
    lazyConnect: true,
    connectTimeout: 10_000,
    // After a failed connect ioredis keeps a (ref'd) 2 s timer to destroy the dead socket, which
    // holds every failing run open that long.
    disconnectTimeout: 200,
    // Commands in flight when a connection drops fail instead of being replayed: a replayed
    // RESTORE could report BUSYKEY for our own write. The unit retries from its checkpoint instead.
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectionName: `redis-ferry-${side}`,
  };
}

/**
 * Per-use client settings. `enableAutoPipelining`: commands issued in the same tick go out in one
 * write, for callers that send many single-key commands at once (verification).
 */
export type ClientTuning = Pick<RedisOptions, 'enableAutoPipelining'>;

/**
 * Opens one connection to one node and checks it answers. Errors become one actionable line
 * (see redis-errors.ts); the client is closed on failure so nothing keeps the process alive.
 */
export async function connectNode(
  side: Side,
  endpoint: EndpointConfig,
  address: string,
  db = 0,
  tuning: ClientTuning = {},
): Promise<Redis> {
  const { host, port } = parseAddress(address);
  const client = new Redis({ ...baseOptions(endpoint, side), ...tuning, host, port, db });
  let lastError: unknown;
  client.on('error', (error) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (error) {
    client.disconnect();
    throw describeConnectError(side, address, pickCause(error, lastError));
  }
}

/** ioredis often rejects with a generic "Connection is closed"; the 'error' event has the real cause. */
function pickCause(rejection: unknown, emitted: unknown): unknown {
  const generic = redisFailure(rejection).socketCode === CONNECTION_CLOSED;
  return generic && emitted ? emitted : rejection;
}

/**
 * Opens the lean data-path connection (see resp-pipe.ts) to one node, SELECTed on `db`, with the
 * same credentials and TLS settings as the ioredis connections.
 */
export async function openPipe(side: Side, endpoint: EndpointConfig, address: string, db = 0, readOnly = false): Promise<RespPipe> {
  const { host, port } = parseAddress(address);
  try {
    return await RespPipe.open({
      host,
      port,
      tls: tlsOptions(endpoint, side),
      username: endpoint.username || undefined,
      password: endpoint.password || undefined,
      db,
      readOnly,
    });
  } catch (error) {
    throw describeConnectError(side, address, error);
  }
}

/**
 * Connects to the first of `addresses` that answers (any node of a cluster, any sentinel). When
 * none does, throws the first address's error (it names the address and the fix).
 */
export async function connectFirst(
  side: Side,
  endpoint: EndpointConfig,
  addresses: readonly string[],
  db = 0,
): Promise<{ client: Redis; address: string }> {
  const unique = [...new Set(addresses)];
  let first: unknown;
  for (const address of unique) {
    try {
      return { client: await connectNode(side, endpoint, address, db), address };
    } catch (error) {
      first ??= error;
      // Credentials and certificates are the same on every node: no point trying the others.
      if (error instanceof MigrationError && !error.retryable) break;
    }
  }
  throw first;
}

/** Closes politely, or at once when the connection is already broken. */
export async function quit(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** How long a Cluster client may take to load the slot map before the attempt is retried. */
export const CLUSTER_READY_TIMEOUT_MS = 15_000;

/**
 * Connects an ioredis Cluster client. While a master is down and not yet replaced (cluster_state
 * fail), ioredis keeps refreshing the slot map and its connect() may never settle: bounded here, so
 * the unit's retry loop (with backoff) tries again once the failover is done, instead of hanging.
 */
export async function connectCluster(cluster: Cluster, side: Side, timeoutMs = CLUSTER_READY_TIMEOUT_MS): Promise<Cluster> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new (side === 'source' ? SourceUnavailableError : TargetUnavailableError)(
            `${side} cluster did not become ready within ${timeoutMs / 1000} s (a failover in progress?); retrying`,
            { retryable: true },
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([cluster.connect(), timedOut]);
    return cluster;
  } catch (error) {
    cluster.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
