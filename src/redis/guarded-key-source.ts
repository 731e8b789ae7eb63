import type { KeySource, ReadResult, ScanPage } from '../core/contracts.js';
import { MigrationError, SourceUnavailableError } from '../core/errors.js';
import { nodeState, parseInfo } from './info.js';
import { formatRanges, keySlot, SLOT_COUNT, type SlotRange, slotCount, slotSet } from './key-slot.js';
import { isConnectionLoss, isRedirect, type RedisFailure, redisFailure } from './redis-errors.js';
import { ReplyError, type RespPipe } from './resp-pipe.js';

/** What the unit's node was when the session opened it; the guard checks it still is. */
export interface ScannedNode {
  address: string;
  role: 'master' | 'replica';
  /** For a replica: the master it followed at open. */
  masterAddress?: string;
  /** For a cluster unit: the slots it copies (keys of other slots on the node are skipped). */
  slots?: SlotRange[];
}

/**
 * A KeySource that notices when its node stops being the node the unit should read:
 *  - before every SCAN (same connection, no extra round trip) INFO replication must still show the
 *    role seen at open, and a replica must still follow the same master with its link up. A master
 *    demoted by a failover, or a replica re-pointed to a new master (it may resync, and its cursor
 *    then no longer covers the keyspace), fails the attempt with a retryable error; the next
 *    attempt finds the node that now serves the unit and restarts the scan there;
 *  - MOVED/ASK/READONLY/CLUSTERDOWN/TRYAGAIN on DUMP mean the same, and are retryable too;
 *  - on a cluster node, keys of slots outside the unit are skipped, so a node that serves more
 *    slots than the unit (merged shards, a failover onto a node with other slots) is not copied twice.
 */
export class GuardedKeySource implements KeySource {
  private readonly inUnit?: (slot: number) => boolean;
  private readonly what: string;

  constructor(
    private readonly inner: KeySource,
    private readonly pipe: RespPipe,
    private readonly node: ScannedNode,
  ) {
    if (node.slots && slotCount(node.slots) < SLOT_COUNT) this.inUnit = slotSet(node.slots);
    this.what = node.slots ? `slots ${formatRanges(node.slots)}` : 'the unit';
  }

  async scan(cursor: string): Promise<ScanPage> {
    const [check, page] = await Promise.allSettled([this.pipe.send([['INFO', 'replication']]), this.inner.scan(cursor)]);
    if (page.status === 'rejected') throw this.translate(page.reason);
    if (check.status === 'rejected') throw this.translate(check.reason);
    const reply = check.value[0];
    if (Buffer.isBuffer(reply)) this.verify(reply.toString());
    const inUnit = this.inUnit;
    return inUnit ? { cursor: page.value.cursor, keys: page.value.keys.filter((k) => inUnit(keySlot(k))) } : page.value;
  }

  read(keys: Buffer[]): Promise<ReadResult> {
    return this.guard(() => this.inner.read(keys));
  }

  /** Translates the errors of a read and of the reads of its remaining parts. */
  private async guard(read: () => Promise<ReadResult>): Promise<ReadResult> {
    let result: ReadResult;
    try {
      result = await read();
    } catch (error) {
      throw this.translate(error);
    }
    const rest = result.rest;
    return rest ? { ...result, rest: () => this.guard(rest) } : result;
  }

  private verify(infoText: string): void {
    const now = nodeState(parseInfo(infoText));
    const { address, role, masterAddress } = this.node;
    if (now.role !== role) {
      throw this.moved(
        `source node ${address} is now a ${now.role}${now.masterAddress ? ` of ${now.masterAddress}` : ''}, ` +
          `no longer the ${role} the unit was reading (failover)`,
      );
    }
    if (role === 'replica' && now.masterAddress !== masterAddress) {
      throw this.moved(`source replica ${address} now follows ${now.masterAddress ?? 'no master'} instead of ${masterAddress} (failover)`);
    }
    if (role === 'replica' && !now.inSync) {
      throw new SourceUnavailableError(`source replica ${address} lost its link to ${masterAddress} or is resyncing; retrying`, {
        retryable: true,
      });
    }
  }

  private moved(why: string, cause?: unknown): SourceUnavailableError {
    return new SourceUnavailableError(`${why}; the unit restarts its scan on the node that serves ${this.what} now`, {
      cause,
      retryable: true,
    });
  }

  private translate(error: unknown): MigrationError {
    // A MigrationError from the inner source keeps the server's reply as its cause: its code decides.
    const failure = redisFailure(error);
    const text = error instanceof ReplyError || !(error instanceof MigrationError) ? failure.text : error.message;
    if (noLongerServes(failure)) {
      return this.moved(`source node ${this.node.address} no longer serves ${this.what} (${text.replace(/^.*?failed: /, '')})`, error);
    }
    if (error instanceof MigrationError) return error;
    return new SourceUnavailableError(`source ${this.node.address}: ${text}`, { cause: error, retryable: isConnectionLoss(failure) });
  }
}

/** Replies meaning the node no longer serves the unit's keys: redirected, demoted, or its cluster is changing. */
function noLongerServes(failure: RedisFailure): boolean {
  const code = failure.replyCode;
  return isRedirect(failure) || code === 'READONLY' || code === 'CLUSTERDOWN' || code === 'TRYAGAIN';
}
