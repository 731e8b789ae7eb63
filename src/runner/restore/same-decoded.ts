import type { RdbValue } from '../../rdb/decode-object.js';

const hex = (b: Buffer) => b.toString('hex');

/**
 * True when two decoded values are the same value, whatever encoding each was stored in (a file
 * written by an older server with ziplists, a target that holds listpacks; hash tables in their own
 * order). Lists, strings and stream entries compare in order; sets, hashes and sorted sets as
 * collections. Streams compare their entries, last id and consumer groups (names, last delivered
 * ids, pending counts). Module values are never decoded: only equal bytes make them equal.
 */
export function sameDecoded(a: RdbValue, b: RdbValue): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'string':
      return a.value.equals((b as typeof a).value);
    case 'list':
      return sameSequence([...a.items].map(hex), [...(b as typeof a).items].map(hex));
    case 'set':
      return sameSequence([...a.members].map(hex).sort(), [...(b as typeof a).members].map(hex).sort());
    case 'zset':
      return sameSequence(
        [...a.members].map((m) => `${hex(m.member)}:${m.score}`).sort(),
        [...(b as typeof a).members].map((m) => `${hex(m.member)}:${m.score}`).sort(),
      );
    case 'hash':
      return sameSequence(
        [...a.fields].map((f) => `${hex(f.field)}=${hex(f.value)}`).sort(),
        [...(b as typeof a).fields].map((f) => `${hex(f.field)}=${hex(f.value)}`).sort(),
      );
    case 'stream':
      return streamText(a) === streamText(b as typeof a);
    case 'module':
      return false;
  }
}

function sameSequence(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function streamText(s: Extract<RdbValue, { kind: 'stream' }>): string {
  const id = (i: { ms: bigint; seq: bigint }) => `${i.ms}-${i.seq}`;
  return JSON.stringify({
    entries: [...s.entries].map((e) => [id(e.id), e.fields.map(hex)]),
    lastId: id(s.lastId),
    groups: s.groups.map((g) => [hex(g.name), id(g.lastId), g.pending.length]).sort(),
  });
}
