import type { EndpointConfig } from '../core/config.js';
import type { KeySink } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { connectNode, openPipe } from './connect.js';
import { parseInfo } from './info.js';
import { RedisKeySink } from './key-sink.js';
import { quit } from './source-access.js';

export interface TargetLayout {
  kind: 'standalone' | 'cluster';
  redisVersion: string;
  /** Highest db number the target accepts (databases - 1); a cluster has db 0 only. */
  maxDb: number;
  notes: string[];
}

export interface OpenedSink {
  sink: KeySink;
  close(): Promise<void>;
}

/** Checks the target answers and finds what it is, before anything is written. */
export async function discoverTarget(endpoint: EndpointConfig): Promise<TargetLayout> {
  const address = endpoint.addresses[0]!;
  const client = await connectNode('target', endpoint, address);
  try {
    const info = parseInfo(await client.info());
    const clustered = info.get('cluster_enabled') === '1';
    if (endpoint.topology === 'cluster' || endpoint.topology === 'sentinel' || clustered) {
      throw new ConfigError([`target ${address} is a ${clustered ? 'cluster' : endpoint.topology} deployment; this build writes standalone targets only`]);
    }
    let maxDb = 15;
    try {
      const reply = (await client.config('GET', 'databases')) as string[];
      if (reply[1]) maxDb = Number(reply[1]) - 1;
    } catch {
      // CONFIG is blocked on most managed services; assume the default 16 dbs.
    }
    return { kind: 'standalone', redisVersion: info.get('redis_version') ?? 'unknown', maxDb, notes: [] };
  } finally {
    await quit(client);
  }
}

/** Opens the target SELECTed on one db. */
export async function openTargetDb(endpoint: EndpointConfig, db: number): Promise<OpenedSink> {
  const address = endpoint.addresses[0]!;
  const pipe = await openPipe('target', endpoint, address, db);
  return { sink: new RedisKeySink(pipe, address), close: async () => pipe.close() };
}
