import type { Redis } from 'ioredis';
import { parseInfo } from './info.js';

/**
 * What changes keys without a keyspace event: FLUSHDB, FLUSHALL and SWAPDB emit none, and a restart
 * of a node without persistence empties it silently. INFO's command counters and run id move when
 * any of these happens, so a change between two readings is a gap the follower must reconcile.
 * A role change (a failover demoted or promoted the node) counts too: the follower then moves to
 * the unit's new node. A CONFIG RESETSTAT also changes the counters: that costs a needless reconcile, never a missed one.
 */
export async function readFlushMarks(client: Redis): Promise<string> {
  const [stats, server, replication] = await Promise.all([client.info('commandstats'), client.info('server'), client.info('replication')]);
  const info = parseInfo(`${stats}\n${server}\n${replication}`);
  const calls = (name: string) => /(?:^|,)calls=(\d+)/.exec(info.get(`cmdstat_${name}`) ?? '')?.[1] ?? '0';
  return (
    `run ${info.get('run_id') ?? '?'} ${info.get('role') ?? '?'} flushdb ${calls('flushdb')} ` +
    `flushall ${calls('flushall')} swapdb ${calls('swapdb')}`
  );
}
