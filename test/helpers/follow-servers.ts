import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { type RedisServer, type RedisServerOptions, startRedis } from './redis-server.js';

/** A standalone source and target for the `migrate --follow` tests, and a state folder for their runs. */
export interface FollowServers {
  source: RedisServer;
  target: RedisServer;
  work: string;
  /** Stops both servers and removes the state folder. */
  stop(): Promise<void>;
}

/** Starts the source (with `sourceOptions`) and an empty target, and makes a state folder named from `workPrefix`. */
export async function startFollowServers(workPrefix: string, sourceOptions: RedisServerOptions = {}): Promise<FollowServers> {
  const [source, target] = await Promise.all([startRedis(sourceOptions), startRedis()]);
  const work = await mkdtemp(join(tmpdir(), workPrefix));
  return {
    source,
    target,
    work,
    stop: async () => {
      await Promise.all([source.stop(), target.stop()]);
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Empties both servers, sets the source's notify-keyspace-events to `keyspaceEvents` ('' for none),
 * then seeds it with every data type and `bulkKeys` strings named bulk:<n>.
 */
export async function reseedFollowSource(
  { source, target }: Pick<FollowServers, 'source' | 'target'>,
  options: { keyspaceEvents: string; bulkKeys: number },
): Promise<void> {
  const [src, dst] = [source.client(), target.client()];
  await Promise.all([src.flushall(), dst.flushall()]);
  await src.config('SET', 'notify-keyspace-events', options.keyspaceEvents);
  await seedMixedDataset(src);
  await seedStrings(src, options.bulkKeys, 'bulk:');
}
