import { type ByteBudget, NO_HOLD } from '../core/byte-budget.js';
import type { KeySource, MigrationRecord, ReadResult, ScanPage } from '../core/contracts.js';
import { type MigrationError, SourceUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { isRetryableRefusal, redisFailure } from './redis-errors.js';
import { type CommandArgs, encodeKeyCommands } from './resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from './resp-pipe.js';

export interface ScanOptions {
  count: number;
  match?: string;
  type?: string;
  /** Let COUNT grow while SCANs are slow (see RedisKeySource.scan). */
  adaptive?: boolean;
  /**
   * The node's round trip when idle (PING), measured when the unit opened it. From
   * ADAPTIVE_MIN_RTT_MS on, the node is distant: COUNT may grow 10× (at most 10,000) to cover
   * the round trips. Below, the link is local and a slow SCAN means a busy server, where larger
   * batches still save per-batch work but cost memory: COUNT may grow 4× (at most 4,000).
   */
  idleRttMs?: number;
}

/** Idle round trips from which a node counts as distant (a LAN is well below, a region away above). */
export const ADAPTIVE_MIN_RTT_MS = 1;

export interface ReadOptions {
  /** Keys above this many bytes (MEMORY USAGE) are reported as big instead of DUMPed; 0: no probe. */
  bigKeyThreshold?: number;
  /** Struct mode: the writer reads values by type itself, so skip DUMP (records carry no payload). */
  skipDump?: boolean;
  /** Told once when the size probe is refused (MEMORY blocked) and turned off. */
  note?: (message: string) => void;
  /** The process's bound on payload bytes held at once; every read holds its bytes here until written. */
  budget?: ByteBudget;
  /** Bytes one read may DUMP at most (at least one key): a batch beyond it is read in parts. Default 8 MB. */
  maxReadBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 8 * 1024 * 1024;

/** Keys in the first read when no size is known yet (no probe, nothing read so far). */
const FIRST_UNSIZED_READ = 16;

const NO_PAYLOAD = Buffer.alloc(0);
const DUMP_PTTL = [['DUMP'], ['PTTL']];
const EXISTS_PTTL = [['EXISTS'], ['PTTL']];
const MEMORY_USAGE = [['MEMORY', 'USAGE']];

/** A SCAN slower than this is waiting on the network more than on the server (a local SCAN of 1000 takes ~0.3 ms). */
const SLOW_SCAN_MS = 4;

/**
 * Reads one unit from one Redis node (its pipe already SELECTed on the unit's db): SCAN for keys,
 * then one pipelined round trip of DUMP + PTTL per batch. Keys and payloads stay Buffers.
 */
export class RedisKeySource implements KeySource {
  private readonly scanArgs: (string | number)[];
  private readonly countAt: number;
  private count: number;
  private readonly maxCount: number;
  private probeSizes: boolean;
  private readonly readOptions: ReadOptions;
  /** Payload bytes read so far, and in how many records: the estimate when no size was probed. */
  private bytesRead = 0;
  private recordsRead = 0;

  /** DUMP, PTTL and MEMORY USAGE go here; SCAN on `pipe` (see the constructor). */
  private readonly readPipe: RespPipe;

  /**
   * `readPipe`, a second connection to the same node and db, carries the batches' reads, so a
   * SCAN reply never waits behind the DUMPs of earlier batches: the reader runs ahead and the
   * server always has the next batches queued, instead of idling while this process is busy.
   */
  constructor(
    private readonly pipe: RespPipe,
    private readonly address: string,
    options: ScanOptions & ReadOptions,
    private readonly clock: () => number = () => performance.now(),
    readPipe?: RespPipe,
  ) {
    this.readPipe = readPipe ?? pipe;
    this.readOptions = options;
    this.probeSizes = (options.bigKeyThreshold ?? 0) > 0 && !options.skipDump;
    this.scanArgs = [
      ...(options.match ? ['MATCH', options.match] : []),
      'COUNT',
      options.count,
      ...(options.type ? ['TYPE', options.type] : []),
    ];
    this.countAt = this.scanArgs.indexOf('COUNT') + 1;
    this.count = options.count;
    const distant = options.idleRttMs === undefined || options.idleRttMs >= ADAPTIVE_MIN_RTT_MS;
    this.maxCount =
      options.adaptive === false
        ? options.count
        : Math.max(options.count, Math.min(distant ? 10_000 : 4_000, options.count * (distant ? 10 : 4)));
  }

  /**
   * One SCAN call. SCAN calls cannot overlap (each needs the previous cursor), so over a slow link
   * one round trip per batch caps the rate at COUNT / RTT. When a SCAN that came back full took
   * longer than a local one would, COUNT doubles (see ScanOptions.adaptive): the same keys per second reach
   * the source, in fewer, larger calls.
   */
  async scan(cursor: string): Promise<ScanPage> {
    this.scanArgs[this.countAt] = this.count;
    const started = this.clock();
    const [reply] = await this.call([['SCAN', cursor, ...this.scanArgs]], 'SCAN');
    if (reply instanceof ReplyError) throw this.wrap('SCAN', reply);
    const [next, keys] = reply as [Buffer, Buffer[]];
    if (this.count < this.maxCount && this.clock() - started > SLOW_SCAN_MS && keys.length >= this.count * 0.8) {
      this.count = Math.min(this.maxCount, this.count * 2);
    }
    return { cursor: next.toString(), keys };
  }

  async read(all: Buffer[]): Promise<ReadResult> {
    const { keys, big, sizes } = await this.splitBig(all);
    const result = await this.readPart(keys, sizes, false);
    return big.length > 0 ? { ...result, big } : result;
  }

  /**
   * DUMPs as many of `keys` as fit in maxReadBytes (by the probed sizes, else by the mean payload
   * read so far), holding their bytes in the budget, and hands the remainder back as `rest`. The
   * first part waits for room in the budget; `rest` parts take it at once (`urgent`), since the
   * writer waits on them and the bytes that fill the budget are behind them (see ByteBudget).
   */
  private async readPart(keys: Buffer[], sizes: number[] | undefined, urgent: boolean): Promise<ReadResult> {
    const budget = this.readOptions.budget;
    const { n, estimate } = this.nextPart(keys, sizes);
    const hold = !budget ? NO_HOLD : urgent ? budget.take(estimate) : await budget.acquire(estimate);
    let result: ReadResult & { bytes: number };
    try {
      result = await this.dumpPart(n < keys.length ? keys.slice(0, n) : keys);
    } catch (error) {
      hold.release();
      throw error;
    }
    hold.resize(result.bytes); // what was read, which the estimate only approximated
    this.bytesRead += result.bytes;
    this.recordsRead += result.records.length;
    const out: ReadResult = { records: result.records, gone: result.gone, release: hold.release };
    if (n < keys.length) {
      const restKeys = keys.slice(n);
      const restSizes = sizes?.slice(n);
      out.rest = () => this.readPart(restKeys, restSizes, true);
    }
    return out;
  }

  /** How many of `keys` the next read takes, and the bytes it is expected to hold. */
  private nextPart(keys: Buffer[], sizes: number[] | undefined): { n: number; estimate: number } {
    const cap = this.readOptions.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
    const mean = this.meanPayload();
    // Struct mode reads no payloads; a part holds none.
    if (this.readOptions.skipDump || keys.length === 0) return { n: keys.length, estimate: 0 };
    if (!sizes) {
      const n =
        this.recordsRead === 0
          ? Math.min(keys.length, FIRST_UNSIZED_READ)
          : Math.max(1, Math.min(keys.length, Math.floor(cap / Math.max(1, mean))));
      return { n, estimate: n * mean };
    }
    let n = 0;
    let estimate = 0;
    while (n < keys.length && (n === 0 || estimate + sizes[n]! <= cap)) estimate += sizes[n++]!;
    return { n, estimate };
  }

  private meanPayload(): number {
    return this.recordsRead === 0 ? 0 : this.bytesRead / this.recordsRead;
  }

  private async dumpPart(keys: Buffer[]): Promise<ReadResult & { bytes: number }> {
    const skipDump = this.readOptions.skipDump === true;
    // EXISTS stands in for DUMP in struct mode: it tells "gone" apart without reading the value.
    const replies =
      keys.length > 0 ? await this.callEncoded(encodeKeyCommands(skipDump ? EXISTS_PTTL : DUMP_PTTL, keys), keys.length * 2, 'DUMP') : [];
    const readAtMs = this.clock();
    const records: MigrationRecord[] = [];
    let gone = 0;
    let bytes = 0;
    for (let i = 0; i < keys.length; i++) {
      const payload = skipDump ? (replies[2 * i] === 0 ? null : NO_PAYLOAD) : replies[2 * i];
      const pttl = replies[2 * i + 1];
      if (payload instanceof ReplyError) throw this.wrap('DUMP', payload, keys[i]);
      if (pttl instanceof ReplyError) throw this.wrap('PTTL', pttl, keys[i]);
      const ms = pttl as number;
      // Deleted between SCAN and DUMP (nil), or gone/expiring by PTTL time: -2 is gone, and 0
      // (under 1 ms left) must not be written as 0, which RESTORE reads as "no expiry".
      if (payload === null || ms === -2 || ms === 0) {
        gone++;
        continue;
      }
      records.push({ key: keys[i]!, payload: payload as Buffer, pttlMs: ms === -1 ? 0 : ms, readAtMs });
      bytes += (payload as Buffer).length;
    }
    return { records, gone, bytes };
  }

  /**
   * Sizes the batch with MEMORY USAGE (one pipelined round trip) so that a key too big to hold
   * whole is never DUMPed: it goes to the chunked, type-by-type copier instead. A missing key
   * (nil) stays in the batch and is counted as gone by the read.
   */
  private async splitBig(keys: Buffer[]): Promise<{ keys: Buffer[]; big: { key: Buffer; bytes: number }[]; sizes?: number[] }> {
    if (!this.probeSizes || keys.length === 0) return { keys, big: [] };
    const threshold = this.readOptions.bigKeyThreshold!;
    const replies = await this.callEncoded(encodeKeyCommands(MEMORY_USAGE, keys), keys.length, 'MEMORY USAGE');
    const refused = replies.find((r) => r instanceof ReplyError);
    if (refused) {
      this.probeSizes = false;
      this.readOptions.note?.(
        `source ${this.address} refused MEMORY USAGE (${(refused as Error).message.split('\n')[0]}); ` +
          `big keys cannot be recognised before DUMP, so every key is DUMPed whole`,
      );
      return { keys, big: [] };
    }
    const small: Buffer[] = [];
    const sizes: number[] = [];
    const big: { key: Buffer; bytes: number }[] = [];
    replies.forEach((bytes, i) => {
      if (typeof bytes === 'number' && bytes > threshold) big.push({ key: keys[i]!, bytes });
      else {
        small.push(keys[i]!);
        sizes.push(typeof bytes === 'number' ? bytes : 0);
      }
    });
    return { keys: small, big, sizes };
  }

  private async callEncoded(payload: Buffer, count: number, name: string): Promise<RespReply[]> {
    try {
      return await this.readPipe.sendEncoded(payload, count);
    } catch (error) {
      throw this.wrap(name, error);
    }
  }

  private async call(commands: readonly CommandArgs[], name: string): Promise<RespReply[]> {
    try {
      return await this.pipe.send(commands);
    } catch (error) {
      throw this.wrap(name, error);
    }
  }

  private wrap(command: string, error: unknown, key?: Buffer): MigrationError {
    const failure = redisFailure(error);
    const { replyCode, text } = failure;
    const forKey = key ? ` for key ${formatKey(key)}` : '';
    if (replyCode === 'NOPERM') {
      return new SourceUnavailableError(
        `source ${this.address} refused ${command}${forKey}: the user lacks the permission (${text}). ` +
          `Grant it (e.g. ACL SETUSER <user> +${command.toLowerCase()} ~*) or use another user`,
        { cause: error },
      );
    }
    // A disabled or renamed command is ERR with the text only.
    if (replyCode === 'ERR' && /unknown command/i.test(text)) {
      return new SourceUnavailableError(
        `source ${this.address} does not allow ${command} (${text}); redis-ferry needs SCAN, DUMP and PTTL on the source`,
        { cause: error },
      );
    }
    // Anything but a reply (a connection lost, a timeout) may succeed when tried again.
    const retryable = !(error instanceof ReplyError) || isRetryableRefusal(failure);
    return new SourceUnavailableError(`source ${this.address}: ${command}${forKey} failed: ${text}`, { cause: error, retryable });
  }
}
