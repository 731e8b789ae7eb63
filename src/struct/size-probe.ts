import { isRefusal } from '../redis/command-probe.js';
import { redisFailure } from '../redis/redis-errors.js';
import type { RedisClient } from './contracts.js';

/**
 * Sizes of keys on the source, learned without reading their values, so the copy loop can send
 * big keys to copyKeyByType and DUMP only the rest: a worker's memory then stays bounded whatever
 * a key's size.
 *
 * MEMORY USAGE key [SAMPLES n] is the first choice: exact for strings and compact encodings, and for
 * hash-table/skiplist/quicklist encodings the average of n sampled elements times the length (the
 * server's default is 5; SAMPLES 0 walks every element, which costs O(n) on the server). When MEMORY
 * is refused (managed services, ACLs), the size is estimated: STRLEN for strings, and for
 * collections the length times the size of a few sampled elements (HRANDFIELD / SRANDMEMBER /
 * ZRANDMEMBER / LINDEX / XREVRANGE … COUNT 1), or times `elementBytes` where those are refused too.
 */

/**
 * Default big-key threshold: keys whose probed size is above it are copied by type, in chunks,
 * and verified chunk by chunk (see docs/fidelity.md).
 */
export const DEFAULT_BIG_KEY_BYTES = 16 * 1024 * 1024;

export interface KeySize {
  key: Buffer;
  /** Estimated bytes; null when the key no longer exists. */
  bytes: number | null;
  method: 'memory-usage' | 'estimate';
}

export interface SizeProbeOptions {
  /** MEMORY USAGE SAMPLES; undefined uses the server's default (5). */
  samples?: number;
  /** Per-element size assumed when no element can be sampled. @default 64 */
  elementBytes?: number;
}

const LENGTH: Record<string, string> = { string: 'STRLEN', hash: 'HLEN', set: 'SCARD', zset: 'ZCARD', list: 'LLEN', stream: 'XLEN' };
/** Per-element overhead added to sampled sizes (pointers, headers): a rough, conservative constant. */
const ELEMENT_OVERHEAD = 16;

export class SizeProbe {
  private memoryRefused = false;

  constructor(
    private readonly source: RedisClient,
    private readonly options: SizeProbeOptions = {},
  ) {}

  /** 'memory-usage' until MEMORY USAGE is refused once, then 'estimate' for good. */
  get method(): KeySize['method'] {
    return this.memoryRefused ? 'estimate' : 'memory-usage';
  }

  async probe(keys: Buffer[]): Promise<KeySize[]> {
    if (keys.length === 0) return [];
    if (!this.memoryRefused) {
      const samples = this.options.samples === undefined ? [] : ['SAMPLES', this.options.samples];
      const replies = await Promise.allSettled(keys.map((k) => this.source.call('MEMORY', 'USAGE', k, ...samples)));
      const refused = replies.find((r) => r.status === 'rejected' && isRefusal(redisFailure(r.reason)));
      if (!refused) {
        return replies.map((r, i) => {
          if (r.status === 'rejected') throw r.reason;
          return { key: keys[i]!, bytes: r.value === null ? null : Number(r.value), method: 'memory-usage' as const };
        });
      }
      this.memoryRefused = true;
    }
    return Promise.all(keys.map((k) => this.estimate(k)));
  }

  private async estimate(key: Buffer): Promise<KeySize> {
    const type = (await this.source.call('TYPE', key)) as string;
    const lengthCommand = LENGTH[type];
    if (!lengthCommand) return { key, bytes: type === 'none' ? null : 0, method: 'estimate' };
    const length = Number(await this.source.call(lengthCommand, key));
    if (type === 'string') return { key, bytes: length, method: 'estimate' };
    const sample = await this.sample(type, key).catch(() => null);
    const perElement = sample && sample.count > 0 ? sample.bytes / sample.count + ELEMENT_OVERHEAD : (this.options.elementBytes ?? 64);
    return { key, bytes: Math.ceil(length * perElement), method: 'estimate' };
  }

  private async sample(type: string, key: Buffer): Promise<{ bytes: number; count: number }> {
    const size = (items: unknown) => ((items as Buffer[] | null) ?? []).reduce((n, b) => n + (Buffer.isBuffer(b) ? b.length : 0), 0);
    switch (type) {
      case 'hash': {
        const items = (await this.source.callBuffer('HRANDFIELD', key, 3, 'WITHVALUES')) as Buffer[];
        return { bytes: size(items), count: items.length / 2 };
      }
      case 'set': {
        const items = (await this.source.callBuffer('SRANDMEMBER', key, 3)) as Buffer[];
        return { bytes: size(items), count: items.length };
      }
      case 'zset': {
        const items = (await this.source.callBuffer('ZRANDMEMBER', key, 3, 'WITHSCORES')) as Buffer[];
        return { bytes: size(items), count: items.length / 2 };
      }
      case 'list': {
        const items = await Promise.all([this.source.callBuffer('LINDEX', key, 0), this.source.callBuffer('LINDEX', key, -1)]);
        return { bytes: size(items), count: items.filter(Boolean).length };
      }
      case 'stream': {
        const entries = (await this.source.callBuffer('XREVRANGE', key, '+', '-', 'COUNT', 1)) as [Buffer, Buffer[]][];
        return { bytes: entries.reduce((n, [id, fields]) => n + id.length + size(fields), 0), count: entries.length };
      }
      default:
        return { bytes: 0, count: 0 };
    }
  }
}

/** One-off probe; keep a SizeProbe per source connection to remember a refused MEMORY command. */
export function probeSizes(source: RedisClient, keys: Buffer[], options?: SizeProbeOptions): Promise<KeySize[]> {
  return new SizeProbe(source, options).probe(keys);
}
