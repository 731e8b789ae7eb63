import type { MigrationRecord, WriteMode } from '../core/contracts.js';
import { type CommandArgs, encodeRestores } from './resp-encode.js';
import { ReplyError, type RespPipe } from './resp-pipe.js';

export interface RestoreItem {
  record: MigrationRecord;
  ttl: number;
  /** Send ASKING first: the slot is being imported by this node (an ASK redirect). */
  asking?: boolean;
}

/**
 * Replicas that must acknowledge a batch (WAIT, sent in the same pipeline: no extra round trip).
 * Without it a failover can lose writes the old master confirmed: a master demoted after its
 * replica was promoted resyncs from the new master and drops them, yet the checkpoint counts them.
 */
export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
}

/** Per item: null when written, else the server's error reply. */
export type RestoreReply = null | InstanceType<typeof ReplyError>;

export interface RestoreReplies {
  replies: RestoreReply[];
  /** Replicas that acknowledged (WAIT's reply), when `ack` was asked for; a WAIT error reads as 0. */
  acked?: number;
}

/**
 * Sends one pipeline of RESTOREs to one node and returns a reply per item. Rejects only when the
 * pipeline as a whole failed (connection lost): then any of the RESTOREs may or may not have run.
 */
export async function sendRestores(
  pipe: RespPipe,
  items: readonly RestoreItem[],
  mode: WriteMode,
  ack?: ReplicaAck,
): Promise<RestoreReplies> {
  const index: number[] = [];
  let count = 0;
  for (const { asking } of items) {
    if (asking) count++;
    index.push(count++);
  }
  const wait: CommandArgs[] = ack && ack.replicas > 0 ? [['WAIT', ack.replicas, ack.timeoutMs]] : [];
  const replies = await pipe.sendEncoded(encodeRestores(items, mode === 'replace', wait), count + wait.length);
  const out: RestoreReplies = {
    replies: index.map((i) => {
      const reply = replies[i];
      return reply instanceof ReplyError ? reply : null;
    }),
  };
  if (wait.length > 0) {
    const waited = replies[replies.length - 1];
    out.acked = typeof waited === 'number' ? waited : 0;
  }
  return out;
}

/** Whether the user may run WAIT on this node (a refusal means writes are not acknowledged). */
export async function canWait(pipe: RespPipe): Promise<string | undefined> {
  const [reply] = await pipe.send([['WAIT', 0, 0]]);
  return reply instanceof ReplyError ? reply.message.split('\n')[0] : undefined;
}
