import { ChunkSizer } from './chunk-sizer.js';
import type { Command, NotCarriedCounts, TypeReader, WriteStep } from './contracts.js';
import type { ReaderContext } from './reader-context.js';

/** A flat [name, value, name, value…] reply (XINFO) as a map. */
export function pairs(reply: unknown): Map<string, unknown> {
  const map = new Map<string, unknown>();
  const list = reply as unknown[];
  for (let i = 0; i + 1 < list.length; i += 2) map.set(String(list[i]), list[i + 1]);
  return map;
}

/** The smallest stream id after `id` ("ms-seq"), for an exclusive range start on any version. */
export function nextStreamId(id: string): string {
  const [ms, seq] = id.split('-').map((part) => BigInt(part)) as [bigint, bigint];
  return seq === 0xffffffffffffffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

interface GroupInfo {
  name: Buffer;
  lastDeliveredId: string;
  entriesRead: string | null;
  pending: number;
}

const PLACEHOLDER_GROUP = '__redis-ferry-mkstream';
/**
 * Worker memory per entry beyond its bytes: the parsed XRANGE reply (nested arrays) and a whole
 * XADD command with its promise. Measured at about 2-3 KB per entry in flight with ioredis 6.
 */
const ENTRY_OVERHEAD = 2048;

/**
 * Streams, in three phases:
 *   1. entries: XRANGE pages → XADD with the same ids;
 *   2. metadata: XSETID to the source's last-generated-id (with entries-added and
 *      max-deleted-entry-id on Redis ≥ 7.0), then each consumer group with XGROUP CREATE at its
 *      last-delivered-id (ENTRIESREAD on ≥ 7.0) and its consumers (XGROUP CREATECONSUMER);
 *   3. pending entries (PEL): XPENDING pages → XCLAIM … IDLE <idle> RETRYCOUNT <deliveries> FORCE
 *      JUSTID, which recreates each entry with its owner and delivery count; its idle time is
 *      carried approximately (the copy's duration is added).
 * Not carried (counted): consumers' seen-time, and pending entries whose message was deleted.
 */
export function streamReader(ctx: ReaderContext): TypeReader {
  return new StreamReader(ctx);
}

type Phase = 'start' | 'entries' | 'meta' | 'pending' | 'done';

class StreamReader implements TypeReader {
  readonly fingerprint: Command;
  readonly notCarried: NotCarriedCounts = {};
  private readonly sizer: ChunkSizer;
  private phase: Phase = 'start';
  /** XINFO STREAM, read first: the ids and counters step 2 restores. */
  private info = new Map<string, unknown>();
  /** Where the next XRANGE page starts. */
  private start = '-';
  private entriesWritten = 0;
  private groups: GroupInfo[] = [];
  /** The group whose pending entries are being read, and where its next XPENDING page starts. */
  private pendingGroup = 0;
  private pendingStart = '-';

  constructor(private readonly ctx: ReaderContext) {
    this.fingerprint = ['XINFO', 'STREAM', ctx.key];
    this.sizer = new ChunkSizer(ctx.chunkSize, ctx.chunkBytes, ENTRY_OVERHEAD);
  }

  async next(): Promise<WriteStep | null> {
    for (;;) {
      switch (this.phase) {
        case 'start': {
          try {
            this.info = pairs(await this.ctx.readText('XINFO', 'STREAM', this.ctx.key));
          } catch (error) {
            if (/no such key/i.test(String((error as Error).message))) return null;
            throw error;
          }
          this.phase = 'entries';
          break;
        }
        case 'entries': {
          const step = await this.readEntries();
          if (step) return step;
          break;
        }
        case 'meta':
          return this.metadata();
        case 'pending': {
          const step = await this.readPending();
          if (step) return step;
          break;
        }
        case 'done':
          return null;
      }
    }
  }

  private count(kind: keyof NotCarriedCounts, n: number): void {
    if (n > 0) this.notCarried[kind] = (this.notCarried[kind] ?? 0) + n;
  }

  /** Phase 1: one XRANGE page, written as XADDs with the same ids. */
  private async readEntries(): Promise<WriteStep | null> {
    const { key, temp } = this.ctx;
    const size = this.sizer.count();
    const page = (await this.ctx.read('XRANGE', key, this.start, '+', 'COUNT', size)) as [Buffer, Buffer[]][];
    if (page.length < size) this.phase = 'meta';
    if (page.length === 0) return null;
    const commands: Command[] = [];
    let bytes = 0;
    for (const [id, fields] of page) {
      commands.push(['XADD', temp, id, ...fields]);
      bytes += id.length;
      for (const f of fields) bytes += f.length;
    }
    this.start = nextStreamId(page[page.length - 1]![0].toString());
    this.entriesWritten += page.length;
    this.sizer.observe(page.length, bytes);
    return { commands, elements: page.length, bytes };
  }

  /** Phase 2: the stream's last id and counters, then its groups and their consumers. */
  private async metadata(): Promise<WriteStep> {
    this.phase = this.ctx.streamPending === 'claim' ? 'pending' : 'done';
    this.groups = await this.readGroups();
    const commands = this.streamIdCommands();
    let consumers = 0;
    for (const group of this.groups) consumers += await this.groupCommands(group, commands);
    if (this.ctx.streamPending === 'claim') this.count('stream-consumer-seen-time', consumers);
    return { commands, elements: 0, bytes: 0 };
  }

  private async readGroups(): Promise<GroupInfo[]> {
    const rawGroups = (await this.ctx.read('XINFO', 'GROUPS', this.ctx.key)) as unknown[];
    return rawGroups.map((g) => {
      const m = pairs((g as Buffer[]).map((v, i) => (i % 2 === 0 ? String(v) : v)));
      const entriesRead = m.get('entries-read');
      return {
        name: m.get('name') as Buffer,
        lastDeliveredId: String(m.get('last-delivered-id')),
        entriesRead: entriesRead === null || entriesRead === undefined ? null : String(entriesRead),
        pending: Number(m.get('pending')),
      };
    });
  }

  /** XSETID to the source's last-generated-id, with its counters where the target takes them. */
  private streamIdCommands(): Command[] {
    const { temp, caps } = this.ctx;
    const commands: Command[] = [];
    if (this.entriesWritten === 0) {
      // XADD cannot make an empty stream; XGROUP CREATE … MKSTREAM can (last id 0-0, no counters).
      commands.push(['XGROUP', 'CREATE', temp, PLACEHOLDER_GROUP, '0', 'MKSTREAM'], ['XGROUP', 'DESTROY', temp, PLACEHOLDER_GROUP]);
    }
    const lastId = String(this.info.get('last-generated-id'));
    const entriesAdded = this.info.get('entries-added');
    const maxDeleted = this.info.get('max-deleted-entry-id');
    if (entriesAdded !== undefined && maxDeleted !== undefined && caps.streamCounters) {
      commands.push(['XSETID', temp, lastId, 'ENTRIESADDED', String(entriesAdded), 'MAXDELETEDID', String(maxDeleted)]);
    } else {
      commands.push(['XSETID', temp, lastId]);
      if (entriesAdded !== undefined) this.count('stream-counters', 1);
    }
    return commands;
  }

  /** Appends XGROUP CREATE for one group (and CREATECONSUMER for its consumers); returns how many consumers it has. */
  private async groupCommands(group: GroupInfo, commands: Command[]): Promise<number> {
    const { key, temp, caps } = this.ctx;
    const withRead = group.entriesRead !== null && caps.streamCounters;
    commands.push(['XGROUP', 'CREATE', temp, group.name, group.lastDeliveredId, ...(withRead ? ['ENTRIESREAD', group.entriesRead!] : [])]);
    if (group.entriesRead !== null && !caps.streamCounters) this.count('stream-counters', 1);
    const names = ((await this.ctx.read('XINFO', 'CONSUMERS', key, group.name)) as Buffer[][]).map(
      (c) => pairs(c.map((v, i) => (i % 2 === 0 ? String(v) : v))).get('name') as Buffer,
    );
    if (this.ctx.streamPending === 'skip') {
      this.count('stream-consumers', names.length);
      this.count('stream-pending', group.pending);
    } else if (caps.createConsumer) {
      for (const name of names) commands.push(['XGROUP', 'CREATECONSUMER', temp, group.name, name]);
    }
    return names.length;
  }

  /** Phase 3: one XPENDING page of one group, written as XCLAIM … FORCE JUSTID. */
  private async readPending(): Promise<WriteStep | null> {
    const { groups } = this;
    while (this.pendingGroup < groups.length && groups[this.pendingGroup]!.pending === 0) this.pendingGroup++;
    const group = groups[this.pendingGroup];
    if (!group) {
      this.phase = 'done';
      return null;
    }
    const size = Math.max(1, this.ctx.chunkSize);
    const page = (await this.ctx.read('XPENDING', this.ctx.key, group.name, this.pendingStart, '+', size)) as [
      Buffer,
      Buffer,
      number,
      number,
    ][];
    if (page.length < size) {
      this.pendingGroup++;
      this.pendingStart = '-';
    } else {
      this.pendingStart = nextStreamId(page[page.length - 1]![0].toString());
    }
    const { temp } = this.ctx;
    const commands: Command[] = page.map(([id, consumer, idle, deliveries]) => [
      'XCLAIM',
      temp,
      group.name,
      consumer,
      0,
      id,
      'IDLE',
      idle,
      'RETRYCOUNT',
      deliveries,
      'FORCE',
      'JUSTID',
    ]);
    return {
      commands,
      elements: 0,
      bytes: 0,
      // XCLAIM FORCE recreates an entry only if its message still exists in the stream.
      inspect: (replies) => this.count('stream-pending-deleted-entry', replies.filter((r) => Array.isArray(r) && r.length === 0).length),
    };
  }
}
