import { blobError } from './blob-bounds.js';
import { ListpackCursor } from './listpack-cursor.js';

export interface HashListpackEx {
  /** field, value, field, value…: views of the blob, or decimal text for integer entries. */
  pairs: Buffer[];
  /** Per field (pairs[2i]): its absolute expiry in ms since the epoch, or null when it has none. */
  expireAtMs: (number | null)[];
}

/**
 * A hash with field expiries (Redis 7.4 RDB_TYPE_HASH_LISTPACK_EX; the RDB object holds a min-expiry
 * time before this blob): a listpack of field, value, expiry triples, ordered by expiry, where the
 * expiry is an integer in ms since the epoch and 0 means "no expiry" (t_hash.c, HASH_LP_NO_TTL).
 * Fields already expired are returned too: whether to skip them is the caller's decision.
 */
export function hashListpackExEntries(blob: Buffer): HashListpackEx {
  const cursor = new ListpackCursor(blob);
  const pairs: Buffer[] = [];
  const expireAtMs: (number | null)[] = [];
  while (cursor.next()) {
    pairs.push(cursor.value());
    cursor.expect('field value');
    pairs.push(cursor.value());
    cursor.expect('field expiry');
    const at = cursor.integer('field expiry');
    if (at < 0) throw blobError('listpack', 'field expiry', cursor.entryOffset, `expected a time in ms (or 0), found ${at}`);
    expireAtMs.push(at === 0 ? null : at);
  }
  return { pairs, expireAtMs };
}
