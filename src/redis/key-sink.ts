import type { KeySink, MigrationRecord, WriteMode, WriteResult } from '../core/contracts.js';
import { type MigrationError, RestoreRejectedError, TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { isRetryableRefusal, redisFailure } from './redis-errors.js';
import type { CommandArgs } from './resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from './resp-pipe.js';
import { type ReplicaAck, type RestoreItem, sendRestores } from './restore-pipeline.js';

/**
 * The TTL to pass to RESTORE: what PTTL said, minus the time the record spent in flight. Relative
 * rather than ABSTTL, so a clock difference between this machine and the target cannot shift it.
 * Returns null when the key would already have expired (it is then not written at all).
 */
export function remainingTtl(record: MigrationRecord, nowMs: number): number | null {
  if (record.pttlMs === 0) return 0;
  const left = Math.floor(record.pttlMs - (nowMs - record.readAtMs));
  return left >= 1 ? left : null;
}

/** Writes batches to one Redis node (its pipe already SELECTed on the target db) with pipelined RESTORE. */
export class RedisKeySink implements KeySink {
  constructor(
    private readonly pipe: RespPipe,
    private readonly address: string,
    private readonly clock: () => number = () => performance.now(),
    /** Replicas that must acknowledge each batch (a sentinel-managed master); none by default. */
    private readonly ack?: ReplicaAck,
  ) {}

  async countKeys(): Promise<number> {
    const [reply] = await this.call([['DBSIZE']]);
    if (reply instanceof ReplyError) throw this.wrap(reply);
    return reply as number;
  }

  async write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    const items: RestoreItem[] = [];
    let expired = 0;
    const now = this.clock();
    for (const record of records) {
      const ttl = remainingTtl(record, now);
      if (ttl === null) expired++;
      else items.push({ record, ttl });
    }
    if (items.length === 0) return { written: 0, bytes: 0, existing: [], expired };

    let sent: Awaited<ReturnType<typeof sendRestores>>;
    try {
      sent = await sendRestores(this.pipe, items, mode, this.ack);
    } catch (error) {
      throw this.wrap(error);
    }
    const existing: Buffer[] = [];
    let written = 0;
    let bytes = 0;
    for (let i = 0; i < items.length; i++) {
      const reply = sent.replies[i];
      const { record } = items[i]!;
      if (!reply) {
        written++;
        bytes += record.payload.length;
      } else if (reply.message.startsWith('BUSYKEY')) {
        existing.push(record.key);
      } else {
        throw this.wrap(reply, record.key);
      }
    }
    if (this.ack && sent.acked !== undefined && sent.acked < this.ack.replicas) throw unacknowledged(this.address, sent.acked, this.ack);
    return { written, bytes, existing, expired };
  }

  private async call(commands: readonly CommandArgs[]): Promise<RespReply[]> {
    try {
      return await this.pipe.send(commands);
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private wrap(error: unknown, key?: Buffer): MigrationError {
    return restoreError(this.address, error, key);
  }
}

/** One actionable line for a RESTORE (or DBSIZE) the target refused, or a pipeline that failed. */
export function restoreError(address: string, error: unknown, key?: Buffer): MigrationError {
  const failure = redisFailure(error);
  const { replyCode, text } = failure;
  const forKey = key ? ` of key ${formatKey(key)}` : '';
  if (replyCode === 'OOM') {
    return new TargetUnavailableError(
      `target ${address} is out of memory (${text}): raise maxmemory or free space, then run the same command again to resume`,
      { cause: error },
    );
  }
  if (replyCode === 'NOPERM') {
    return new TargetUnavailableError(
      `target ${address} refused RESTORE${forKey}: the user lacks the permission (${text}). ` +
        `Grant it (e.g. ACL SETUSER <user> +restore ~*) or use another user`,
      { cause: error },
    );
  }
  // The server has no code of its own for this refusal: ERR and the text.
  if (replyCode === 'ERR' && /payload version or checksum are wrong/i.test(text)) {
    return new RestoreRejectedError(
      key ?? Buffer.alloc(0),
      `target ${address} cannot read the DUMP format${forKey} (${text}): it runs an older Redis than the source`,
      { cause: error },
    );
  }
  // Anything but a reply (a connection lost, a timeout) may succeed when tried again.
  const retryable = !(error instanceof ReplyError) || isRetryableRefusal(failure);
  if (key && !retryable) return new RestoreRejectedError(key, `target ${address} rejected RESTORE${forKey}: ${text}`, { cause: error });
  return new TargetUnavailableError(`target ${address}: RESTORE${forKey} failed: ${text}`, { cause: error, retryable });
}

/** The batch reached the master but not its replicas: a failover may be under way; write it again. */
export function unacknowledged(address: string, acked: number, ack: ReplicaAck): TargetUnavailableError {
  return new TargetUnavailableError(
    `target master ${address}: ${acked} of ${ack.replicas} replica(s) acknowledged the ` +
      `batch within ${ack.timeoutMs / 1000} s (a failover in progress?); the unit writes ` +
      `it again to the current master`,
    { retryable: true },
  );
}
