import type { KeySink, MigrationRecord, WriteMode, WriteResult } from '../core/contracts.js';
import { type MigrationError, RestoreRejectedError, TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import type { CommandArgs } from './resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from './resp-pipe.js';

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
  ) {}

  async countKeys(): Promise<number> {
    const [reply] = await this.call([['DBSIZE']]);
    if (reply instanceof ReplyError) throw this.wrap(reply);
    return reply as number;
  }

  async write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    const commands: CommandArgs[] = [];
    const sent: MigrationRecord[] = [];
    let expired = 0;
    const now = this.clock();
    for (const record of records) {
      const ttl = remainingTtl(record, now);
      if (ttl === null) {
        expired++;
        continue;
      }
      commands.push(mode === 'replace' ? ['RESTORE', record.key, ttl, record.payload, 'REPLACE'] : ['RESTORE', record.key, ttl, record.payload]);
      sent.push(record);
    }
    if (sent.length === 0) return { written: 0, bytes: 0, existing: [], expired };

    const replies = await this.call(commands);
    const existing: Buffer[] = [];
    let written = 0;
    let bytes = 0;
    for (let i = 0; i < sent.length; i++) {
      const reply = replies[i];
      const record = sent[i]!;
      if (!(reply instanceof ReplyError)) {
        written++;
        bytes += record.payload.length;
      } else if (reply.message.startsWith('BUSYKEY')) {
        existing.push(record.key);
      } else {
        throw this.wrap(reply, record.key);
      }
    }
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
    const text = String((error as Error)?.message ?? error).split('\n')[0]!;
    const forKey = key ? ` of key ${formatKey(key)}` : '';
    if (/^OOM/.test(text)) {
      return new TargetUnavailableError(`target ${this.address} is out of memory (${text}): raise maxmemory or free space, then run the same command again to resume`);
    }
    if (/^NOPERM/.test(text)) {
      return new TargetUnavailableError(`target ${this.address} refused RESTORE${forKey}: the user lacks the permission (${text}). Grant it (e.g. ACL SETUSER <user> +restore ~*) or use another user`);
    }
    if (/payload version or checksum are wrong/i.test(text)) {
      return new RestoreRejectedError(key ?? Buffer.alloc(0), `target ${this.address} cannot read the DUMP format${forKey} (${text}): it runs an older Redis than the source`);
    }
    const retryable = !(error instanceof ReplyError) || /^(LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|MOVED|ASK)/.test(text);
    if (key && !retryable) return new RestoreRejectedError(key, `target ${this.address} rejected RESTORE${forKey}: ${text}`, { cause: error });
    return new TargetUnavailableError(`target ${this.address}: RESTORE${forKey} failed: ${text}`, { cause: error, retryable });
  }
}
