import { MigrationError } from '../core/errors.js';
import type { ClusterRouter } from '../redis/cluster-router.js';
import { keySlot } from '../redis/key-slot.js';
import { type ReplyCode, redisFailure } from '../redis/redis-errors.js';
import { type KeyStateReader, pipeReader } from './key-state-reader.js';

/** A node's answer meaning "not here, or not now": the group is read again by the slot-following client. */
const REDIRECTED = new Set<ReplyCode>(['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN']);

/**
 * Reads a cluster target over one RespPipe per master (the copy's router), keys grouped by the
 * master that owns their slot, all groups at once. A group whose node redirects (slots moving)
 * or cannot be reached is read again through `fallback`, ioredis' Cluster client, which follows
 * MOVED and ASK itself, and the router re-reads the layout for the batches after it.
 */
export function clusterPipeReader(router: ClusterRouter, fallback: KeyStateReader): KeyStateReader {
  const read = async <T>(keys: Buffer[], via: (reader: KeyStateReader, group: Buffer[]) => Promise<T[]>): Promise<T[]> => {
    const groups = new Map<string | undefined, number[]>();
    keys.forEach((key, i) => {
      const owner = router.ownerOf(keySlot(key));
      const group = groups.get(owner);
      if (group) group.push(i);
      else groups.set(owner, [i]);
    });
    const out = new Array<T>(keys.length);
    await Promise.all(
      [...groups].map(async ([owner, indices]) => {
        const group = indices.map((i) => keys[i]!);
        let values: T[];
        try {
          values = owner ? await via(pipeReader(await router.pipe(owner), 'target', owner), group) : await via(fallback, group);
        } catch (error) {
          // The reader's errors keep the node's reply as their cause: its code says whether it redirected.
          const { replyCode } = redisFailure(error);
          const unreachable = !(error instanceof MigrationError) || error.retryable;
          if (!owner || !(unreachable || (replyCode !== undefined && REDIRECTED.has(replyCode)))) throw error;
          if (unreachable) router.drop(owner);
          void router.refresh().catch(() => {});
          values = await via(fallback, group);
        }
        indices.forEach((i, n) => {
          out[i] = values[n]!;
        });
      }),
    );
    return out;
  };
  return {
    typesAndTtls: (keys) => read(keys, (reader, group) => reader.typesAndTtls(group)),
    dumps: (keys) => read(keys, (reader, group) => reader.dumps(group)),
  };
}
