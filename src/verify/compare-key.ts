import type { Redis } from 'ioredis';

export type KeyDifference = 'missing' | 'type' | 'ttl' | 'value';

export interface CompareOptions {
  /** Largest accepted TTL difference in ms (the copy subtracts time in flight; drift stays small). */
  ttlToleranceMs: number;
  /** Compare values too, not only existence, type and TTL. */
  values: boolean;
}

/**
 * Compares one key on both sides. Values are equal when the DUMP payloads are equal; when they are
 * not, the values are compared by type, because servers serialize hash-table–encoded hashes and
 * sets in their own iteration order, so equal values can have different DUMP bytes.
 */
export async function compareKey(source: Redis, target: Redis, key: Buffer, options: CompareOptions): Promise<KeyDifference | null> {
  const [[, sourceType], [, sourceTtl]] = (await source.multi().type(key).pttl(key).exec()) as [[null, string], [null, number]];
  if (sourceType === 'none') return null; // gone from the source meanwhile: nothing to compare
  const [[, targetType], [, targetTtl]] = (await target.multi().type(key).pttl(key).exec()) as [[null, string], [null, number]];
  if (targetType === 'none') return 'missing';
  if (targetType !== sourceType) return 'type';
  if ((sourceTtl === -1) !== (targetTtl === -1) || Math.abs(sourceTtl - targetTtl) > options.ttlToleranceMs) return 'ttl';
  if (!options.values) return null;
  const [a, b] = await Promise.all([source.dumpBuffer(key), target.dumpBuffer(key)]);
  if (a && b && a.equals(b)) return null;
  const same = await sameValue(source, target, key, sourceType);
  return same ? null : 'value';
}

async function sameValue(source: Redis, target: Redis, key: Buffer, type: string): Promise<boolean> {
  const both = async <T>(read: (client: Redis) => Promise<T>) => Promise.all([read(source), read(target)]);
  const sortedEqual = (a: Buffer[], b: Buffer[]) => {
    const [sa, sb] = [sortBuffers(a), sortBuffers(b)];
    return sa.length === sb.length && sa.every((x, i) => x.equals(sb[i]!));
  };
  switch (type) {
    case 'string': {
      const [a, b] = await both((c) => c.getBuffer(key));
      return a !== null && b !== null && a.equals(b);
    }
    case 'list': {
      const [a, b] = await both((c) => c.lrangeBuffer(key, 0, -1));
      return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
    }
    case 'set': {
      const [a, b] = await both((c) => c.smembersBuffer(key));
      return sortedEqual(a, b);
    }
    case 'hash': {
      const [a, b] = await both((c) => c.hgetallBuffer(key));
      const ka = Object.keys(a);
      return ka.length === Object.keys(b).length && ka.every((f) => b[f] !== undefined && a[f]!.equals(b[f]!));
    }
    case 'zset': {
      const [a, b] = await both((c) => c.zrangeBuffer(key, '0', '-1', 'WITHSCORES'));
      return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
    }
    case 'stream': {
      const [a, b] = await both(async (c) => JSON.stringify([await c.xrangeBuffer(key, '-', '+'), await c.xinfo('GROUPS', key)], bufferReplacer));
      return a === b;
    }
    default:
      // Module types: DUMP bytes are all we can compare.
      return false;
  }
}

function sortBuffers(list: Buffer[]): Buffer[] {
  return [...list].sort(Buffer.compare);
}

function bufferReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') return Buffer.from((value as { data: number[] }).data).toString('hex');
  return value;
}
