import type { ReadBlob } from './decode-support.js';
import { streamListpackEntries } from './encodings/index.js';
import { RdbType } from './rdb-constants.js';
import type { RdbCursor } from './rdb-cursor.js';
import type { RdbStream, StreamConsumer, StreamEntry, StreamGroup, StreamId, StreamPendingEntry } from './rdb-value.js';

const UNKNOWN_ENTRIES_READ = (1n << 64n) - 1n;

/** A 16-byte stream id as the radix tree and PELs store it: ms then seq, big-endian. */
function rawId(raw: Buffer): StreamId {
  return { ms: raw.readBigUInt64BE(0), seq: raw.readBigUInt64BE(8) };
}

function lengthId(c: RdbCursor): StreamId {
  return { ms: c.lengthBig(), seq: c.lengthBig() };
}

/**
 * A stream (RDB_TYPE_STREAM_LISTPACKS 1/2/3, t_stream.c layout): its nodes (master id + listpack),
 * then length and ids, then consumer groups. The node list is only located here; entries are decoded
 * one node at a time when iterated. Groups, PELs and consumers are read now.
 */
export function decodeStream(c: RdbCursor, type: number, blob: ReadBlob): RdbStream {
  const nodes: { master: StreamId; start: number }[] = [];
  const count = c.length('a stream node count');
  for (let i = 0; i < count; i++) {
    const keyAt = c.offset();
    const key = c.string();
    if (key.length !== 16) c.fail(`stream node key of ${key.length} bytes (expected a 16-byte id)`, keyAt);
    nodes.push({ master: rawId(key), start: c.pos });
    c.skipString();
  }
  const v2 = type >= RdbType.STREAM_LISTPACKS_2;
  const length = c.lengthBig();
  const lastId = lengthId(c);
  const firstId = v2 ? lengthId(c) : null;
  const maxDeletedId = v2 ? lengthId(c) : null;
  const entriesAdded = v2 ? c.lengthBig() : null;
  const groups: StreamGroup[] = [];
  const groupCount = c.length('a consumer group count');
  for (let g = 0; g < groupCount; g++) groups.push(readGroup(c, type));
  const entries: Iterable<StreamEntry> = {
    *[Symbol.iterator]() {
      for (const node of nodes) yield* blob(node.start, (lp) => streamListpackEntries(node.master, lp));
    },
  };
  return { kind: 'stream', entries, length, lastId, firstId, maxDeletedId, entriesAdded, groups };
}

function readGroup(c: RdbCursor, type: number): StreamGroup {
  const name = c.string();
  const lastId = lengthId(c);
  const read = type >= RdbType.STREAM_LISTPACKS_2 ? c.lengthBig() : null;
  // -1 (saved as 2^64-1): the server does not know how far the group has read (XINFO shows nil).
  const entriesRead = read === UNKNOWN_ENTRIES_READ ? null : read;
  const pending: StreamPendingEntry[] = [];
  const byId = new Map<string, StreamPendingEntry>();
  const pelSize = c.length('a pending entry count');
  for (let i = 0; i < pelSize; i++) {
    const raw = c.bytes(16, 'a pending entry id');
    const entry = { id: rawId(raw), deliveryTimeMs: c.msTime(), deliveryCount: c.length('a delivery count'), consumer: null };
    pending.push(entry);
    byId.set(raw.toString('latin1'), entry);
  }
  const consumers: StreamConsumer[] = [];
  const consumerCount = c.length('a consumer count');
  for (let k = 0; k < consumerCount; k++) {
    const consumerName = c.string();
    const seenTimeMs = c.msTime();
    const activeTimeMs = type >= RdbType.STREAM_LISTPACKS_3 ? c.msTime() : null;
    const owned: StreamId[] = [];
    const ownedCount = c.length('a consumer pending count');
    for (let i = 0; i < ownedCount; i++) {
      const at = c.offset();
      const raw = c.bytes(16, 'a consumer pending id');
      const entry = byId.get(raw.toString('latin1'));
      if (!entry) c.fail('consumer pending id not in its group PEL', at);
      entry.consumer = consumerName;
      owned.push(entry.id);
    }
    consumers.push({ name: consumerName, seenTimeMs, activeTimeMs, pending: owned });
  }
  return { name, lastId, entriesRead, pending, consumers };
}
