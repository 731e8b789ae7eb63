import { blobError } from './blob-bounds.js';
import { ListpackCursor } from './listpack-cursor.js';

export interface StreamId {
  ms: bigint;
  seq: bigint;
}

export interface StreamEntry {
  id: StreamId;
  /** field, value, field, value…: views of the blob, or decimal text for integer entries. */
  fields: Buffer[];
}

const FLAG_DELETED = 1;
const FLAG_SAME_FIELDS = 2;
const KNOWN_FLAGS = FLAG_DELETED | FLAG_SAME_FIELDS;
const FORMAT = 'stream listpack';

/**
 * The live entries of one stream node: a listpack keyed in the stream's radix tree by `masterId`
 * (t_stream.c). It opens with the master entry: live count, deleted count, the master field count, the
 * master fields, and a 0. Each entry follows as flags, ms and seq deltas from `masterId`, then either
 * the values alone (flag SAME_FIELDS: the master's fields) or a field count and field, value pairs, and
 * last lp-count (the entry's listpack elements, for walking backwards). Entries flagged DELETED are
 * skipped. Counts, lp-counts and the end of the listpack must all agree with the walk.
 */
export function streamListpackEntries(masterId: StreamId, blob: Buffer): StreamEntry[] {
  const cursor = new ListpackCursor(blob, FORMAT);
  const live = count(cursor, 'live entry count');
  const deleted = count(cursor, 'deleted entry count');
  const masterFields = readMasterFields(cursor);
  const entries: StreamEntry[] = [];
  for (let i = 0; i < live + deleted; i++) {
    const entry = readEntry(cursor, masterId, masterFields);
    if (entry) entries.push(entry);
  }
  if (entries.length !== live) {
    throw blobError(FORMAT, 'master entry', 6, `states ${live} live entries, but the node holds ${entries.length}`);
  }
  if (cursor.next()) {
    throw blobError(FORMAT, 'entry', cursor.entryOffset, `found after the ${live + deleted} entries the master entry states`);
  }
  return entries;
}

/** A non-negative integer entry. */
function count(cursor: ListpackCursor, what: string): number {
  cursor.expect(what);
  const value = cursor.integer(what);
  if (value < 0) throw blobError(FORMAT, what, cursor.entryOffset, `expected a count, found ${value}`);
  return value;
}

function readMasterFields(cursor: ListpackCursor): Buffer[] {
  const total = count(cursor, 'master field count');
  const fields: Buffer[] = new Array(total);
  for (let i = 0; i < total; i++) {
    cursor.expect('master field');
    fields[i] = cursor.value();
  }
  cursor.expect('master entry terminator');
  const zero = cursor.integer('master entry terminator');
  if (zero !== 0) throw blobError(FORMAT, 'master entry terminator', cursor.entryOffset, `expected 0, found ${zero}`);
  return fields;
}

/** One entry; null when it is flagged deleted (walked over and checked all the same). */
function readEntry(cursor: ListpackCursor, masterId: StreamId, masterFields: Buffer[]): StreamEntry | null {
  const flags = count(cursor, 'entry flags');
  const flagsAt = cursor.entryOffset;
  if ((flags & ~KNOWN_FLAGS) !== 0) throw blobError(FORMAT, 'entry flags', flagsAt, `unknown flags ${flags}`);
  const keep = (flags & FLAG_DELETED) === 0;
  cursor.expect('entry ms delta');
  const ms = BigInt.asUintN(64, masterId.ms + cursor.bigInteger('entry ms delta'));
  cursor.expect('entry seq delta');
  const seq = BigInt.asUintN(64, masterId.seq + cursor.bigInteger('entry seq delta'));
  const same = (flags & FLAG_SAME_FIELDS) !== 0;
  const pairs = same ? masterFields.length : count(cursor, 'entry field count');
  const fields: Buffer[] = keep ? new Array(pairs * 2) : [];
  for (let i = 0; i < pairs; i++) {
    if (!same) {
      cursor.expect('entry field');
      if (keep) fields[2 * i] = cursor.value();
    }
    cursor.expect('entry value');
    if (keep) {
      if (same) fields[2 * i] = masterFields[i]!;
      fields[2 * i + 1] = cursor.value();
    }
  }
  const expected = same ? pairs + 3 : 2 * pairs + 4;
  const lpCount = count(cursor, 'entry lp-count');
  if (lpCount !== expected) {
    throw blobError(FORMAT, 'entry lp-count', cursor.entryOffset, `expected ${expected} (the entry at byte ${flagsAt}), found ${lpCount}`);
  }
  return keep ? { id: { ms, seq }, fields } : null;
}
