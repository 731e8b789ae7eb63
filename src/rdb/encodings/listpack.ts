import { ListpackCursor } from './listpack-cursor.js';

/**
 * Every entry of a listpack (lists, sets, hashes and sorted sets of Redis 7: field, value, … or
 * member, score, …), in order. Strings are views of `blob` (no copy: keep `blob` unchanged while they
 * are in use); integers are their decimal text, as Redis replies them. Throws RdbFormatError (offset
 * relative to `blob`) for a truncated or corrupt listpack.
 */
export function listpackEntries(blob: Buffer): Buffer[] {
  const cursor = new ListpackCursor(blob);
  const entries: Buffer[] = [];
  while (cursor.next()) entries.push(cursor.value());
  return entries;
}
