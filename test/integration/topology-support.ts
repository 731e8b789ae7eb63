import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Cluster, Redis } from 'ioredis';
import type { RedisCluster, RedisServer } from '../helpers/index.js';
import { parseInfo, waitUntil } from '../helpers/index.js';

const SCENARIOS = fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url));

/**
 * Shared by the topology-*.test.ts files: views that let the single-server fixtures and
 * assertSameData work on a whole cluster, and the scenario files with test addresses.
 */

/** A Redis-shaped object whose pipelines run command by command on a cluster client (seeding only). */
export function seedingView(client: Cluster): Redis {
  const pipeline = () => {
    const calls: Promise<unknown>[] = [];
    const pipe: object = new Proxy(
      {},
      {
        get(_, name) {
          if (name === 'exec')
            return async () =>
              (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? [null, r.value] : [r.reason, null]));
          return (...args: unknown[]) => {
            calls.push((client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name as string]!(...args));
            return pipe;
          };
        },
      },
    );
    return pipe;
  };
  return new Proxy(client, { get: (target, name) => (name === 'pipeline' ? pipeline : Reflect.get(target, name)) }) as unknown as Redis;
}

/**
 * A Redis-shaped view of a whole cluster for assertSameData: DBSIZE sums the current masters,
 * SCAN returns every master's keys at once, keyed commands go through a cluster client (reading
 * from the replicas with `replicas`).
 */
export function comparingView(cluster: RedisCluster, options: { replicas?: boolean } = {}): Redis {
  const client = cluster.client(options.replicas ? { scaleReads: 'slave' } : {});
  const clients = new Map<RedisServer, Redis>();
  const clientOf = (n: RedisServer) => clients.get(n) ?? clients.set(n, n.client()).get(n)!;
  // The running nodes that say they are masters: right after a failover, or a node killed.
  const masters = async () => {
    const live = cluster.nodes.filter((n) => n.isRunning());
    const roles = await Promise.all(live.map(async (n) => ((await clientOf(n).call('ROLE')) as [string])[0]));
    return live.filter((_, i) => roles[i] === 'master').map(clientOf);
  };
  const allKeys = async (node: Redis) => {
    const keys: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = (await node.scanBuffer(cursor, 'COUNT', 1000)) as [Buffer, Buffer[]];
      keys.push(...batch);
      cursor = next.toString();
    } while (cursor !== '0');
    return keys;
  };
  return new Proxy(client, {
    get(target, name) {
      if (name === 'dbsize') return async () => (await Promise.all((await masters()).map((m) => m.dbsize()))).reduce((a, b) => a + b, 0);
      if (name === 'scanBuffer') return async () => [Buffer.from('0'), (await Promise.all((await masters()).map(allKeys))).flat()];
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Redis;
}

export async function flushCluster(cluster: RedisCluster): Promise<void> {
  await Promise.all(cluster.masters.filter((m) => m.isRunning()).map((m) => m.client().flushall()));
  // Replicas apply the flush asynchronously; a replica-reading test must not see stale keys.
  const replicas = cluster.replicas.filter((r) => r.isRunning());
  await waitUntil(
    async () => {
      const sizes = await Promise.all(replicas.map((r) => r.client().dbsize()));
      return sizes.every((n) => n === 0) || `replica key counts ${sizes.join(', ')}`;
    },
    { description: 'the replicas to apply the flush', intervalMs: 20 },
  );
}

/** Counts connected clients on each node (through one connection per node, opened once). */
export function clientCounter(nodes: RedisServer[]): () => Promise<number[]> {
  const admins = nodes.map((n) => n.client());
  return () => Promise.all(admins.map(async (a) => Number(parseInfo(await a.info('clients')).connected_clients)));
}

/**
 * A scenario file from test/fixtures/scenarios (copies of the shared redis-shake scenarios), unchanged but for the values of `address` and
 * `password` in the named sections (pointed at the test servers) and any extra replacements.
 */
export async function scenarioFile(
  dir: string,
  name: string,
  values: Record<string, { address?: string; password?: string }>,
  replace: [RegExp, string][] = [],
): Promise<string> {
  let text = await readFile(join(SCENARIOS, name), 'utf8');
  let section = '';
  text = text
    .split('\n')
    .map((line) => {
      const header = /^\s*\[([^\]]+)\]/.exec(line);
      if (header) section = header[1]!;
      const v = values[section];
      if (v?.address !== undefined && /^\s*address\s*=/.test(line)) return line.replace(/=\s*"[^"]*"/, `= "${v.address}"`);
      if (v?.password !== undefined && /^\s*password\s*=/.test(line)) {
        const comment = /\s#.*$/.exec(line.replace(/"[^"]*"/g, '""'))?.[0] ?? '';
        return `${line.slice(0, line.indexOf('='))}= "${v.password}"${comment}`;
      }
      return line;
    })
    .join('\n');
  for (const [pattern, replacement] of replace) text = text.replace(pattern, replacement);
  const file = join(dir, name.replace(/\//g, '-'));
  await writeFile(file, text);
  return file;
}
