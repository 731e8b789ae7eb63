import type { Redis } from 'ioredis';
import type { KeySource, MigrationRecord, ReadResult, ScanPage } from '../core/contracts.js';
import { type MigrationError, SourceUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { replyText } from './redis-errors.js';

export interface ScanOptions {
  count: number;
  match?: string;
  type?: string;
}

type PipelineReply = [Error | null, unknown][];

/**
 * Reads one unit from one Redis node (already SELECTed on the unit's db): SCAN for keys, then one
 * pipeline of DUMP + PTTL per batch. Keys and payloads stay Buffers.
 */
export class RedisKeySource implements KeySource {
  private readonly scanArgs: (string | number)[];

  constructor(
    private readonly client: Redis,
    private readonly address: string,
    options: ScanOptions,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.scanArgs = [
      ...(options.match ? ['MATCH', options.match] : []),
      'COUNT',
      options.count,
      ...(options.type ? ['TYPE', options.type] : []),
    ];
  }

  async scan(cursor: string): Promise<ScanPage> {
    try {
      const [next, keys] = (await this.client.callBuffer('SCAN', [cursor, ...this.scanArgs])) as [Buffer, Buffer[]];
      return { cursor: next.toString(), keys };
    } catch (error) {
      throw this.wrap('SCAN', error);
    }
  }

  async read(keys: Buffer[]): Promise<ReadResult> {
    const pipeline = this.client.pipeline();
    for (const key of keys) {
      pipeline.dumpBuffer(key);
      pipeline.pttl(key);
    }
    let replies: PipelineReply;
    try {
      replies = (await pipeline.exec()) as PipelineReply;
    } catch (error) {
      throw this.wrap('DUMP', error);
    }
    const readAtMs = this.clock();
    const records: MigrationRecord[] = [];
    let gone = 0;
    for (let i = 0; i < keys.length; i++) {
      const [dumpError, payload] = replies[2 * i]!;
      const [pttlError, pttl] = replies[2 * i + 1]!;
      if (dumpError) throw this.wrap('DUMP', dumpError, keys[i]);
      if (pttlError) throw this.wrap('PTTL', pttlError, keys[i]);
      const ms = Number(pttl);
      // Deleted between SCAN and DUMP (null), or gone/expiring by PTTL time: -2 is gone, and 0
      // (under 1 ms left) must not be written as 0, which RESTORE reads as "no expiry".
      if (payload === null || ms === -2 || ms === 0) {
        gone++;
        continue;
      }
      records.push({ key: keys[i]!, payload: payload as Buffer, pttlMs: ms === -1 ? 0 : ms, readAtMs });
    }
    return { records, gone };
  }

  private wrap(command: string, error: unknown, key?: Buffer): MigrationError {
    const text = replyText(error);
    const forKey = key ? ` for key ${formatKey(key)}` : '';
    if (/^NOPERM/.test(text)) {
      return new SourceUnavailableError(`source ${this.address} refused ${command}${forKey}: the user lacks the permission (${text}). Grant it (e.g. ACL SETUSER <user> +${command.toLowerCase()} ~*) or use another user`);
    }
    if (/unknown command/i.test(text)) {
      return new SourceUnavailableError(`source ${this.address} does not allow ${command} (${text}); redis-ferry needs SCAN, DUMP and PTTL on the source`);
    }
    const retryable = /Connection is closed|ECONNRESET|EPIPE|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN/i.test(text);
    return new SourceUnavailableError(`source ${this.address}: ${command}${forKey} failed: ${text}`, { cause: error, retryable });
  }
}
