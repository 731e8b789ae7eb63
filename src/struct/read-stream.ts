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
  const { key, temp, caps } = ctx;
  const sizer = new ChunkSizer(ctx.chunkSize, ctx.chunkBytes, ENTRY_OVERHEAD);
  const notCarried: NotCarriedCounts = {};
  const count = (kind: keyof NotCarriedCounts, n: number) => {
    if (n > 0) notCarried[kind] = (notCarried[kind] ?? 0) + n;
  };
  let phase: 'start' | 'entries' | 'meta' | 'pending' | 'done' = 'start';
  let info = new Map<string, unknown>();
  let start = '-';
  let entriesWritten = 0;
  let groups: GroupInfo[] = [];
  let pendingGroup = 0;
  let pendingStart = '-';

  const readEntries = async (): Promise<WriteStep | null> => {
    const size = sizer.count();
    const page = (await ctx.read('XRANGE', key, start, '+', 'COUNT', size)) as [Buffer, Buffer[]][];
    if (page.length < size) phase = 'meta';
    if (page.length === 0) return null;
    const commands: Command[] = [];
    let bytes = 0;
    for (const [id, fields] of page) {
      commands.push(['XADD', temp, id, ...fields]);
      bytes += id.length;
      for (const f of fields) bytes += f.length;
    }
    start = nextStreamId(page[page.length - 1]![0].toString());
    entriesWritten += page.length;
    sizer.observe(page.length, bytes);
    return { commands, elements: page.length, bytes };
  };

  const metadata = async (): Promise<WriteStep> => {
    phase = ctx.streamPending === 'claim' ? 'pending' : 'done';
    const rawGroups = (await ctx.read('XINFO', 'GROUPS', key)) as unknown[];
    groups = rawGroups.map((g) => {
      const m = pairs((g as Buffer[]).map((v, i) => (i % 2 === 0 ? String(v) : v)));
      const entriesRead = m.get('entries-read');
      return {
        name: m.get('name') as Buffer,
        lastDeliveredId: String(m.get('last-delivered-id')),
        entriesRead: entriesRead === null || entriesRead === undefined ? null : String(entriesRead),
        pending: Number(m.get('pending')),
      };
    });
    const commands: Command[] = [];
    if (entriesWritten === 0) {
      // XADD cannot make an empty stream; XGROUP CREATE … MKSTREAM can (last id 0-0, no counters).
      commands.push(['XGROUP', 'CREATE', temp, PLACEHOLDER_GROUP, '0', 'MKSTREAM'], ['XGROUP', 'DESTROY', temp, PLACEHOLDER_GROUP]);
    }
    const lastId = String(info.get('last-generated-id'));
    const entriesAdded = info.get('entries-added');
    const maxDeleted = info.get('max-deleted-entry-id');
    if (entriesAdded !== undefined && maxDeleted !== undefined && caps.streamCounters) {
      commands.push(['XSETID', temp, lastId, 'ENTRIESADDED', String(entriesAdded), 'MAXDELETEDID', String(maxDeleted)]);
    } else {
      commands.push(['XSETID', temp, lastId]);
      if (entriesAdded !== undefined) count('stream-counters', 1);
    }
    let consumers = 0;
    for (const group of groups) {
      const withRead = group.entriesRead !== null && caps.streamCounters;
      commands.push([
        'XGROUP',
        'CREATE',
        temp,
        group.name,
        group.lastDeliveredId,
        ...(withRead ? ['ENTRIESREAD', group.entriesRead!] : []),
      ]);
      if (group.entriesRead !== null && !caps.streamCounters) count('stream-counters', 1);
      const names = ((await ctx.read('XINFO', 'CONSUMERS', key, group.name)) as Buffer[][]).map(
        (c) => pairs(c.map((v, i) => (i % 2 === 0 ? String(v) : v))).get('name') as Buffer,
      );
      consumers += names.length;
      if (ctx.streamPending === 'skip') {
        count('stream-consumers', names.length);
        count('stream-pending', group.pending);
      } else if (caps.createConsumer) {
        for (const name of names) commands.push(['XGROUP', 'CREATECONSUMER', temp, group.name, name]);
      }
    }
    if (ctx.streamPending === 'claim') count('stream-consumer-seen-time', consumers);
    return { commands, elements: 0, bytes: 0 };
  };

  const readPending = async (): Promise<WriteStep | null> => {
    while (pendingGroup < groups.length && groups[pendingGroup]!.pending === 0) pendingGroup++;
    const group = groups[pendingGroup];
    if (!group) {
      phase = 'done';
      return null;
    }
    const size = Math.max(1, ctx.chunkSize);
    const page = (await ctx.read('XPENDING', key, group.name, pendingStart, '+', size)) as [Buffer, Buffer, number, number][];
    if (page.length < size) {
      pendingGroup++;
      pendingStart = '-';
    } else {
      pendingStart = nextStreamId(page[page.length - 1]![0].toString());
    }
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
      inspect: (replies) => count('stream-pending-deleted-entry', replies.filter((r) => Array.isArray(r) && r.length === 0).length),
    };
  };

  return {
    fingerprint: ['XINFO', 'STREAM', key],
    notCarried,
    async next() {
      for (;;) {
        switch (phase) {
          case 'start': {
            try {
              info = pairs(await ctx.readText('XINFO', 'STREAM', key));
            } catch (error) {
              if (/no such key/i.test(String((error as Error).message))) return null;
              throw error;
            }
            phase = 'entries';
            break;
          }
          case 'entries': {
            const step = await readEntries();
            if (step) return step;
            break;
          }
          case 'meta':
            return metadata();
          case 'pending': {
            const step = await readPending();
            if (step) return step;
            break;
          }
          case 'done':
            return null;
        }
      }
    },
  };
}
