import type { EndpointConfig } from '../core/config.js';
import { ConfigError, MigrationError, SourceUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { ClusterRouter, redirectAddress } from './cluster-router.js';
import { openPipe } from './connect.js';
import { keySlot } from './key-slot.js';
import { resolveMasterEndpoint } from './master-endpoint.js';
import { isTransientRefusal, parseRedirect, redisFailure, replyText } from './redis-errors.js';
import { encodeKeyCommands } from './resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from './resp-pipe.js';

/** Asks the source whether keys exist, in any of a set of dbs. */
export interface SourceExistence {
  /** One answer per key, in order: true when any of the dbs holds it. */
  exists(keys: Buffer[]): Promise<boolean[]>;
  close(): Promise<void>;
}

const EXISTS = [['EXISTS']];

/** Rounds of redirects and refusals one check may meet (a slot migration, a failover) before it gives up. */
const MAX_ROUNDS = 8;

/**
 * Opens existence checks on the source's masters, never a replica: a replica may not have a key
 * created a moment ago, and a key reported absent may be deleted from the target. A standalone or
 * sentinel source gets one pipe per db (EXISTS pipelined, one round trip per db); a cluster source
 * (db 0 only) routes each key to its slot's master, following MOVED and ASK.
 */
export async function openSourceExistence(
  endpoint: EndpointConfig,
  dbs: readonly number[],
  note: (message: string) => void = () => {},
): Promise<SourceExistence> {
  const master = await resolveMasterEndpoint('source', endpoint);
  if (master.kind === 'cluster') {
    if (dbs.some((db) => db !== 0)) throw new ConfigError([`source is a cluster, which has db 0 only; cannot look keys up in db ${dbs}`]);
    const router = await ClusterRouter.open(endpoint, note, 'source');
    return { exists: (keys) => clusterExists(router, keys), close: () => router.close() };
  }
  const { address } = master;
  const pipes: RespPipe[] = [];
  try {
    for (const db of dbs) pipes.push(await openPipe('source', endpoint, address, db));
  } catch (error) {
    for (const pipe of pipes) pipe.close();
    throw error;
  }
  return {
    async exists(keys) {
      if (keys.length === 0) return [];
      const perDb = await Promise.all(pipes.map((pipe) => existsOn(pipe, address, keys)));
      return keys.map((_, i) => perDb.some((answers) => answers[i]));
    },
    close: async () => {
      for (const pipe of pipes) pipe.close();
    },
  };
}

async function existsOn(pipe: RespPipe, address: string, keys: Buffer[]): Promise<boolean[]> {
  let replies: RespReply[];
  try {
    replies = await pipe.sendEncoded(encodeKeyCommands(EXISTS, keys), keys.length);
  } catch (error) {
    throw new SourceUnavailableError(`source ${address}: EXISTS failed: ${replyText(error)}`, { cause: error, retryable: true });
  }
  return replies.map((reply, i) => {
    if (reply instanceof ReplyError) throw refused(address, keys[i]!, reply);
    return (reply as number) > 0;
  });
}

interface Pending {
  index: number;
  key: Buffer;
  slot: number;
  /** Set by an ASK redirect: ask this node, after ASKING. */
  ask?: string;
}

/**
 * EXISTS on a cluster source, keys grouped by the master that owns their slot, all groups at once.
 * A MOVED reply updates the slot map and the key is asked again; ASK asks the importing node; a
 * refusal for now (TRYAGAIN, CLUSTERDOWN, LOADING) or a lost node waits a little and re-reads the layout.
 */
async function clusterExists(router: ClusterRouter, keys: Buffer[]): Promise<boolean[]> {
  const out = new Array<boolean>(keys.length).fill(false);
  let pending: Pending[] = keys.map((key, index) => ({ index, key, slot: keySlot(key) }));
  let last = '';
  for (let round = 0; pending.length > 0; round++) {
    if (round >= MAX_ROUNDS) {
      throw new SourceUnavailableError(
        `source cluster kept redirecting or refusing EXISTS for ${pending.length} key(s) (last: ${last}); retrying. ` +
          'Check CLUSTER INFO on the source',
        { retryable: true },
      );
    }
    if (round > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 25 * 2 ** round)));
      await router.refresh().catch((error: unknown) => (last = `refreshing the slot map: ${replyText(error)}`));
    }
    const groups = new Map<string, Pending[]>();
    const retry: Pending[] = [];
    for (const p of pending) {
      const address = p.ask ?? router.ownerOf(p.slot);
      const group = address ? groups.get(address) : undefined;
      if (!address) retry.push(p);
      else if (group) group.push(p);
      else groups.set(address, [p]);
    }
    await Promise.all(
      [...groups].map(async ([address, group]) => {
        const outcome = await askNode(router, address, group);
        if (typeof outcome === 'string') {
          last = outcome;
          retry.push(...group);
          return;
        }
        outcome.forEach((reply, n) => {
          const p = group[n]!;
          if (typeof reply === 'number') out[p.index] = reply > 0;
          else {
            last = `${address}: ${reply.text}`;
            if (reply.redirect?.kind === 'MOVED') router.learn(reply.redirect.slot, redirectAddress(reply.redirect.address, address));
            retry.push({ ...p, ask: reply.redirect?.kind === 'ASK' ? redirectAddress(reply.redirect.address, address) : undefined });
          }
        });
      }),
    );
    pending = retry;
  }
  return out;
}

type NodeAnswer = number | { text: string; redirect?: ReturnType<typeof parseRedirect> };

/** One node's EXISTS replies for a group, or why the whole group must be asked again. */
async function askNode(router: ClusterRouter, address: string, group: Pending[]): Promise<NodeAnswer[] | string> {
  let replies: RespReply[];
  try {
    const pipe = await router.pipe(address);
    const commands = group.flatMap((p) => (p.ask ? [['ASKING'], ['EXISTS', p.key]] : [['EXISTS', p.key]]));
    replies = await pipe.send(commands);
  } catch (error) {
    if (error instanceof MigrationError && !error.retryable) throw error;
    router.drop(address);
    return `${address}: ${replyText(error)}`;
  }
  let at = 0;
  return group.map((p) => {
    if (p.ask) at++; // ASKING's +OK
    const reply = replies[at++];
    if (typeof reply === 'number') return reply;
    const failure = redisFailure(reply);
    const redirect = parseRedirect(failure);
    if (redirect || isTransientRefusal(failure)) return { text: failure.text, redirect };
    throw refused(address, p.key, reply);
  });
}

function refused(address: string, key: Buffer, reply: unknown): SourceUnavailableError {
  const { text, replyCode } = redisFailure(reply);
  const hint = replyCode === 'NOPERM' ? ': grant +exists on the source (ACL SETUSER <user> +exists ~*)' : '';
  return new SourceUnavailableError(`source ${address} refused EXISTS for key ${formatKey(key)} (${text})${hint}`, { cause: reply });
}
