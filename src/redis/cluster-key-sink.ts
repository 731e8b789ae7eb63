import { type BackoffPolicy, backoffDelay } from '../core/backoff.js';
import type { KeySink, MigrationRecord, WriteMode, WriteResult } from '../core/contracts.js';
import { MigrationError, TargetUnavailableError } from '../core/errors.js';
import { type ClusterRouter, redirectAddress } from './cluster-router.js';
import { remainingTtl, restoreError, unacknowledged } from './key-sink.js';
import { keySlot } from './key-slot.js';
import { isTransientRefusal, parseRedirect, redisFailure, replyText } from './redis-errors.js';
import type { RespPipe } from './resp-pipe.js';
import { ReplyError } from './resp-pipe.js';
import { type RestoreItem, type RestoreReplies, sendRestores } from './restore-pipeline.js';

interface Pending {
  record: MigrationRecord;
  slot: number;
  /** Set by an ASK redirect: send this one record to that node, after ASKING. */
  ask?: string;
}

export interface ClusterSinkOptions {
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long one batch may keep meeting redirects and refusals before the unit gives up and retries. */
  retryBudgetMs?: number;
  /** How long each master's replicas get to acknowledge a batch (WAIT). */
  ackTimeoutMs?: number;
}

/** Between rounds of a batch that keeps meeting redirects or refusals: short, the slot map settles fast. */
const REDIRECT_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 2_000 };

/**
 * Writes batches to a Redis Cluster: records are grouped by key slot into one RESTORE pipeline per
 * master (a pipeline never straddles nodes), and all masters are written concurrently. Replies
 * that mean "not here / not now" — MOVED, ASK, TRYAGAIN, CLUSTERDOWN, LOADING, READONLY, a node
 * that cannot be reached — prove the RESTORE did not run, so only those records are retried: at
 * once after MOVED (the slot map is refreshed) and ASK (ASKING to the importing node), with
 * backoff otherwise. A connection lost mid-pipeline leaves the outcome unknown: in `replace` mode
 * the records are simply sent again; in `keep` mode the error is thrown (retryable), and the unit
 * resumes from its checkpoint, rewriting the batches in flight with REPLACE (copy-unit.ts).
 */
export class ClusterKeySink implements KeySink {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly budgetMs: number;
  private readonly ackTimeoutMs: number;

  constructor(
    private readonly router: ClusterRouter,
    options: ClusterSinkOptions = {},
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.budgetMs = options.retryBudgetMs ?? 60_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 5_000;
  }

  async countKeys(): Promise<number> {
    const counts = await Promise.all(
      this.router.masters().map(async (address) => {
        const [reply] = await (await this.router.pipe(address)).send([['DBSIZE']]);
        if (reply instanceof ReplyError) throw restoreError(address, reply);
        return reply as number;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    const result: WriteResult = { written: 0, bytes: 0, existing: [], expired: 0 };
    let pending: Pending[] = records.map((record) => ({ record, slot: keySlot(record.key) }));
    const started = this.clock();
    let last = '';
    for (let round = 0; pending.length > 0; round++) {
      const outcome = new RoundOutcome(last);
      const groups = this.groupByMaster(pending, result, outcome);
      await Promise.all([...groups].map(([address, group]) => this.writeGroup(address, group, mode, result, outcome)));
      pending = outcome.retry;
      last = outcome.last;
      if (pending.length === 0) break;
      if (this.clock() - started > this.budgetMs) {
        throw new TargetUnavailableError(
          `target cluster kept redirecting or refusing ${pending.length} write(s) for ${Math.round(this.budgetMs / 1000)} ` +
            `s (last: ${last}); the unit retries from its checkpoint. Check CLUSTER INFO on the target`,
          { retryable: true },
        );
      }
      // A first MOVED/ASK is followed at once; redirects that keep coming (nodes that disagree
      // mid-failover) and refusals back off, up to 2 s between rounds.
      if (outcome.backoff || round >= 2) await this.sleep(backoffDelay(round + 1, REDIRECT_BACKOFF));
      if (outcome.refresh) await this.router.refresh().catch((error: unknown) => (last = `refreshing the slot map: ${replyText(error)}`));
    }
    return result;
  }

  /** One RESTORE pipeline per master; records already expired are counted, those of a slot with no master wait. */
  private groupByMaster(pending: Pending[], result: WriteResult, outcome: RoundOutcome): Map<string, MasterGroup> {
    const now = this.clock();
    const groups = new Map<string, MasterGroup>();
    for (const p of pending) {
      const ttl = remainingTtl(p.record, now);
      if (ttl === null) {
        result.expired++;
        continue;
      }
      const address = p.ask ?? this.router.ownerOf(p.slot);
      if (!address) {
        outcome.again([p], `slot ${p.slot} has no master`, RESETTLE);
        continue;
      }
      const group = groups.get(address) ?? { items: [], pending: [] };
      group.items.push({ record: p.record, ttl, asking: p.ask !== undefined });
      group.pending.push({ record: p.record, slot: p.slot });
      groups.set(address, group);
    }
    return groups;
  }

  /** Sends one master's pipeline and settles each reply; whatever did not land is queued on `outcome`. */
  private async writeGroup(address: string, group: MasterGroup, mode: WriteMode, result: WriteResult, outcome: RoundOutcome) {
    let pipe: RespPipe;
    try {
      pipe = await this.router.pipe(address);
    } catch (error) {
      // Nothing was sent: retry once the layout says who serves these slots now.
      if (!(error instanceof MigrationError && error.retryable)) throw error;
      outcome.again(group.pending, error.message, RESETTLE);
      return;
    }
    const ack = { replicas: this.router.replicasOf(address), timeoutMs: this.ackTimeoutMs };
    let sent: RestoreReplies;
    try {
      sent = await sendRestores(pipe, group.items, mode, ack);
    } catch (error) {
      // Lost mid-pipeline: some RESTOREs may have run. REPLACE makes sending again safe;
      // plain RESTORE could then report our own write as BUSYKEY, so the unit resumes instead.
      this.router.drop(address);
      if (mode === 'keep') throw restoreError(address, error);
      outcome.again(group.pending, `${address}: ${replyText(error)}`, RESETTLE);
      return;
    }
    const unconfirmed = sent.acked !== undefined && sent.acked < ack.replicas;
    // Not acknowledged by the replicas: a crash failover could drop these writes. With REPLACE
    // they are sent again once the layout is re-read; plain RESTORE resumes the unit instead.
    if (unconfirmed && mode === 'keep') throw unacknowledged(address, sent.acked!, ack);
    const { replies } = sent;
    for (let i = 0; i < replies.length; i++) {
      const reply = replies[i]!;
      const p = group.pending[i]!;
      if (reply === null && unconfirmed) {
        outcome.again([p], `${address}: ${sent.acked} of ${ack.replicas} replica(s) acknowledged`, RESETTLE);
      } else if (reply === null) {
        result.written++;
        result.bytes += p.record.payload.length;
      } else {
        this.settleRefusal(address, reply, p, result, outcome);
      }
    }
  }

  /** An error reply to one RESTORE: an existing key, a redirect or a transient refusal to retry, or a failure. */
  private settleRefusal(address: string, reply: ReplyError, p: Pending, result: WriteResult, outcome: RoundOutcome): void {
    const failure = redisFailure(reply);
    const { text } = failure;
    const redirect = parseRedirect(failure);
    if (failure.replyCode === 'BUSYKEY') {
      result.existing.push(p.record.key);
    } else if (redirect?.kind === 'MOVED') {
      this.router.learn(redirect.slot, redirectAddress(redirect.address, address));
      outcome.again([p], text, { refresh: true, backoff: false });
    } else if (redirect?.kind === 'ASK') {
      outcome.again([{ ...p, ask: redirectAddress(redirect.address, address) }], text, { refresh: false, backoff: false });
    } else if (isTransientRefusal(failure)) {
      outcome.again([p], `${address}: ${text}`, RESETTLE);
    } else {
      throw restoreError(address, reply, p.record.key);
    }
  }
}

interface MasterGroup {
  items: RestoreItem[];
  /** The records of `items`, in order, without any ASK target (a retry asks the slot map again). */
  pending: Pending[];
}

/** Re-read the slot map and wait before the next round: the layout is moving or a node refused. */
const RESETTLE = { refresh: true, backoff: true } as const;

/** What one round of a batch left to do: the records to send again, and how to prepare the next round. */
class RoundOutcome {
  readonly retry: Pending[] = [];
  refresh = false;
  backoff = false;

  /** @param last the reason the previous round gave, kept for the error if the budget runs out. */
  constructor(public last: string) {}

  again(records: Pending[], reason: string, next: { refresh: boolean; backoff: boolean }): void {
    this.retry.push(...records);
    this.last = reason;
    if (next.refresh) this.refresh = true;
    if (next.backoff) this.backoff = true;
  }
}
