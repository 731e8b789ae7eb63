import type { Redis } from 'ioredis';
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../test/helpers/index.js';
import { type DatasetSpec, type DatasetStats, type LoadTarget, loadDataset } from './dataset.js';

/**
 * The servers each scenario needs, loaded with the dataset: reused from the test harness
 * (throwaway redis-server processes on loopback, persistence off, killed if the bench dies).
 */
export interface StandalonePair {
  source: RedisServer;
  target: RedisServer;
  sourceAdmin: Redis;
  targetAdmin: Redis;
  dataset: DatasetStats;
  stop(): Promise<void>;
}

/**
 * A throwaway source and target on loopback; `load` fills the source, which must then hold
 * `expectedKeys`. Both are stopped if loading fails.
 */
export async function startLoadedPair<T>(
  expectedKeys: number,
  load: (source: RedisServer) => Promise<T>,
): Promise<{ source: RedisServer; target: RedisServer; loaded: T; stop(): Promise<void> }> {
  const [source, target] = await Promise.all([startRedis(), startRedis()]);
  const stop = async () => {
    await Promise.allSettled([source.stop(), target.stop()]);
  };
  try {
    const loaded = await load(source);
    const keys = await source.client().dbsize();
    if (keys !== expectedKeys) throw new Error(`source holds ${keys} keys after loading, expected ${expectedKeys}`);
    return { source, target, loaded, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startStandalonePair(spec: DatasetSpec): Promise<StandalonePair> {
  const { source, target, loaded, stop } = await startLoadedPair(spec.keys, (s) => loadDataset(spec, [{ host: s.host, port: s.port }]));
  return { source, target, sourceAdmin: source.client(), targetAdmin: target.client(), dataset: loaded, stop };
}

export interface ClusterPair {
  source: RedisCluster;
  target: RedisCluster;
  sourceAdmins: Redis[];
  targetAdmins: Redis[];
  dataset: DatasetStats;
  stop(): Promise<void>;
}

/** Which slot ranges each master serves, from CLUSTER SLOTS. */
async function slotOwners(cluster: RedisCluster): Promise<LoadTarget[]> {
  const reply = (await cluster.seed.client().call('CLUSTER', 'SLOTS')) as [number, number, [string, number, string]][];
  return cluster.masters.map((m) => ({
    host: m.host,
    port: m.port,
    slots: reply.filter(([, , [, port]]) => port === m.port).map(([from, to]) => [from, to] as [number, number]),
  }));
}

export async function startClusterPair(spec: DatasetSpec, masters: number): Promise<ClusterPair> {
  const [source, target] = await Promise.all([startCluster({ masters }), startCluster({ masters })]);
  const stop = async () => {
    await Promise.allSettled([source.stop(), target.stop()]);
  };
  try {
    const dataset = await loadDataset(spec, await slotOwners(source));
    const sizes = await Promise.all(source.masters.map((m) => m.client().dbsize()));
    const loaded = sizes.reduce((a, b) => a + b, 0);
    if (loaded !== spec.keys) throw new Error(`source cluster holds ${loaded} keys after loading, expected ${spec.keys}`);
    return {
      source,
      target,
      sourceAdmins: source.masters.map((m) => m.client()),
      targetAdmins: target.masters.map((m) => m.client()),
      dataset,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
