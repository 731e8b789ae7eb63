import type { RdbStream, RdbValue, StreamId } from '../../rdb/decode-object.js';
import type { NotCarriedCounts, WriteStep } from '../../struct/contracts.js';
import type { TargetCaps } from '../../struct/target-caps.js';

/** How big a chunk of a decoded value may grow: elements, and bytes of element data. */
export interface ChunkLimits {
  elements: number;
  bytes: number;
}

/**
 * The chunks that build a decoded value under `temp` on the target, each one round trip: strings
 * by SET then SETRANGE, lists by RPUSH, sets by SADD, sorted sets by ZADD, hashes by HSET (and
 * HPEXPIREAT for the field expiries of Redis 7.4 hashes), streams by XADD with the file's ids, then
 * XSETID, the groups, their consumers and pending entries (XCLAIM … FORCE, as struct/read-stream.ts
 * does). The value's iterables decode as they go, so a big key is held as its object and one chunk.
 */
export function* valueSteps(
  value: Exclude<RdbValue, { kind: 'module' }>,
  temp: Buffer,
  limits: ChunkLimits,
  ctx: StreamContext,
): Generator<WriteStep> {
  switch (value.kind) {
    case 'string':
      for (let offset = 0; offset === 0 || offset < value.value.length; offset += limits.bytes) {
        const data = value.value.subarray(offset, offset + limits.bytes);
        yield {
          commands: [offset === 0 ? ['SET', temp, data] : ['SETRANGE', temp, offset, data]],
          elements: data.length,
          bytes: data.length,
        };
      }
      return;
    case 'list':
      yield* grouped(
        value.items,
        limits,
        (items) => ['RPUSH', temp, ...items],
        (b) => [b],
      );
      return;
    case 'set':
      yield* grouped(
        value.members,
        limits,
        (items) => ['SADD', temp, ...items],
        (b) => [b],
      );
      return;
    case 'zset':
      yield* grouped(
        value.members,
        limits,
        (items) => ['ZADD', temp, ...items],
        (m) => [scoreText(m.score), m.member],
      );
      return;
    case 'hash':
      yield* grouped(
        value.fields,
        limits,
        (items) => ['HSET', temp, ...items],
        (f) => [f.field, f.value],
      );
      if (value.fieldExpiries) yield* fieldExpiries(value.fields, temp);
      return;
    case 'stream':
      yield* streamSteps(value, temp, limits, ctx);
      return;
  }
}

/** What writing a stream needs to know of the target and reports back. */
export interface StreamContext {
  caps: TargetCaps;
  now: () => number;
  notCarried: NotCarriedCounts;
}

/** Elements grouped into commands of at most `limits` each; `args` gives an element's arguments. */
function* grouped<T>(
  items: Iterable<T>,
  limits: ChunkLimits,
  command: (args: Buffer[]) => [string, ...(Buffer | string)[]],
  args: (item: T) => (Buffer | string)[],
): Generator<WriteStep> {
  let batch: (Buffer | string)[] = [];
  let elements = 0;
  let bytes = 0;
  for (const item of items) {
    for (const a of args(item)) {
      batch.push(a);
      bytes += a.length;
    }
    if (++elements >= limits.elements || bytes >= limits.bytes) {
      yield { commands: [command(batch as Buffer[])], elements, bytes };
      batch = [];
      elements = 0;
      bytes = 0;
    }
  }
  if (elements > 0) yield { commands: [command(batch as Buffer[])], elements, bytes };
}

/** ZADD reads "inf"/"-inf"; any other double prints as the shortest text that parses back to it. */
function scoreText(score: number): string {
  return score === Number.POSITIVE_INFINITY ? 'inf' : score === Number.NEGATIVE_INFINITY ? '-inf' : String(score);
}

function* fieldExpiries(fields: Iterable<{ field: Buffer; expireAtMs: number | null }>, temp: Buffer): Generator<WriteStep> {
  for (const f of fields) {
    if (f.expireAtMs !== null) yield { commands: [['HPEXPIREAT', temp, f.expireAtMs, 'FIELDS', 1, f.field]], elements: 0, bytes: 0 };
  }
}

const id = (s: StreamId) => `${s.ms}-${s.seq}`;
const PLACEHOLDER_GROUP = '__redis-ferry-mkstream';

function* streamSteps(stream: RdbStream, temp: Buffer, limits: ChunkLimits, ctx: StreamContext): Generator<WriteStep> {
  const { caps, notCarried } = ctx;
  const count = (kind: keyof NotCarriedCounts, n: number) => {
    if (n > 0) notCarried[kind] = (notCarried[kind] ?? 0) + n;
  };
  let entries = 0;
  let commands: WriteStep['commands'] = [];
  let bytes = 0;
  for (const entry of stream.entries) {
    commands.push(['XADD', temp, id(entry.id), ...entry.fields]);
    for (const f of entry.fields) bytes += f.length;
    entries++;
    if (commands.length >= limits.elements || bytes >= limits.bytes) {
      yield { commands, elements: commands.length, bytes };
      commands = [];
      bytes = 0;
    }
  }
  if (commands.length > 0) yield { commands, elements: commands.length, bytes };
  const meta: WriteStep['commands'] = [];
  // XADD cannot make an empty stream; XGROUP CREATE … MKSTREAM can.
  if (entries === 0)
    meta.push(['XGROUP', 'CREATE', temp, PLACEHOLDER_GROUP, '0', 'MKSTREAM'], ['XGROUP', 'DESTROY', temp, PLACEHOLDER_GROUP]);
  if (stream.entriesAdded !== null && stream.maxDeletedId !== null && caps.streamCounters)
    meta.push(['XSETID', temp, id(stream.lastId), 'ENTRIESADDED', String(stream.entriesAdded), 'MAXDELETEDID', id(stream.maxDeletedId)]);
  else {
    meta.push(['XSETID', temp, id(stream.lastId)]);
    if (stream.entriesAdded !== null) count('stream-counters', 1);
  }
  for (const group of stream.groups) {
    const withRead = group.entriesRead !== null && caps.streamCounters;
    meta.push(['XGROUP', 'CREATE', temp, group.name, id(group.lastId), ...(withRead ? ['ENTRIESREAD', String(group.entriesRead)] : [])]);
    if (group.entriesRead !== null && !caps.streamCounters) count('stream-counters', 1);
    if (caps.createConsumer)
      for (const consumer of group.consumers) meta.push(['XGROUP', 'CREATECONSUMER', temp, group.name, consumer.name]);
    count('stream-consumer-seen-time', group.consumers.length);
  }
  yield { commands: meta, elements: 0, bytes: 0 };
  for (const group of stream.groups) {
    const claims = group.pending.filter((p) => p.consumer !== null);
    for (let i = 0; i < claims.length; i += limits.elements) {
      yield {
        commands: claims.slice(i, i + limits.elements).map((p) => {
          const idle = Math.max(0, ctx.now() - p.deliveryTimeMs);
          return ['XCLAIM', temp, group.name, p.consumer!, 0, id(p.id), 'IDLE', idle, 'RETRYCOUNT', p.deliveryCount, 'FORCE', 'JUSTID'];
        }),
        elements: 0,
        bytes: 0,
        // XCLAIM FORCE recreates an entry only if its message is still in the stream.
        inspect: (replies) => count('stream-pending-deleted-entry', replies.filter((r) => Array.isArray(r) && r.length === 0).length),
      };
    }
  }
}
