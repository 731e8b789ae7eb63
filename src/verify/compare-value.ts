import type { RedisClient } from '../struct/contracts.js';
import { nextStreamId } from '../struct/read-stream.js';

/**
 * Type-aware value comparison that never holds a whole value: lengths first, then chunk by chunk.
 * Ordered types (strings, lists, stream entries, pending lists) are read in the same pages on both
 * sides; unordered ones (hashes, sets, sorted sets) are walked on the source with SCAN and looked up
 * on the target (HMGET, SMISMEMBER, ZMSCORE): with equal lengths, "every source element is on the
 * target, equal" means the values are equal. Used when DUMP payloads differ (hash-table encodings
 * serialize in a per-server order) and for big keys, which are never DUMPed.
 */

export interface ValueCompareOptions {
  /** Elements per page. @default 1000 */
  chunkSize?: number;
  /** Bytes per GETRANGE page for strings. @default 1 MiB */
  chunkBytes?: number;
}

type Read = (client: RedisClient, command: string, ...args: (string | Buffer | number)[]) => Promise<unknown>;
const readBuffer: Read = (client, command, ...args) => client.callBuffer(command, ...args);

const LENGTH: Record<string, string> = { string: 'STRLEN', hash: 'HLEN', set: 'SCARD', zset: 'ZCARD', list: 'LLEN', stream: 'XLEN' };

/** True when the key holds an equal value on both sides; `type` is the (common) TYPE. */
export async function sameValue(
  source: RedisClient,
  target: RedisClient,
  key: Buffer,
  type: string,
  options: ValueCompareOptions = {},
): Promise<boolean> {
  const chunkSize = options.chunkSize ?? 1000;
  const lengthCommand = LENGTH[type];
  if (!lengthCommand) {
    // Module types: their DUMP bytes are all there is to compare.
    const [a, b] = await Promise.all([source.dumpBuffer(key), target.dumpBuffer(key)]);
    return a !== null && b !== null && a.equals(b);
  }
  const [la, lb] = await Promise.all([source.call(lengthCommand, key), target.call(lengthCommand, key)]);
  if (Number(la) !== Number(lb)) return false;
  switch (type) {
    case 'string':
      return sameString(source, target, key, Number(la), options.chunkBytes ?? 1 << 20);
    case 'list':
      return sameList(source, target, key, chunkSize);
    case 'hash':
      return sameHash(source, target, key, chunkSize);
    case 'set':
      return sameSet(source, target, key, chunkSize);
    case 'zset':
      return sameZset(source, target, key, chunkSize);
    case 'stream':
      return sameStream(source, target, key, chunkSize);
    default:
      return false;
  }
}

async function sameString(source: RedisClient, target: RedisClient, key: Buffer, length: number, chunkBytes: number): Promise<boolean> {
  for (let offset = 0; offset < length; offset += chunkBytes) {
    const [a, b] = await both(source, target, 'GETRANGE', key, offset, offset + chunkBytes - 1);
    if (!(a as Buffer).equals(b as Buffer)) return false;
  }
  return true;
}

async function sameList(source: RedisClient, target: RedisClient, key: Buffer, chunkSize: number): Promise<boolean> {
  for (let index = 0; ; index += chunkSize) {
    const [a, b] = (await both(source, target, 'LRANGE', key, index, index + chunkSize - 1)) as [Buffer[], Buffer[]];
    if (!sameBuffers(a, b)) return false;
    if (a.length < chunkSize) return true;
  }
}

async function sameHash(source: RedisClient, target: RedisClient, key: Buffer, chunkSize: number): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, items] = (await source.callBuffer('HSCAN', key, cursor, 'COUNT', chunkSize)) as [Buffer, Buffer[]];
    cursor = next.toString();
    if (items.length === 0) continue;
    const fields = items.filter((_, i) => i % 2 === 0);
    const values = (await target.callBuffer('HMGET', key, ...fields)) as (Buffer | null)[];
    for (let i = 0; i < fields.length; i++) if (!values[i] || !values[i]!.equals(items[2 * i + 1]!)) return false;
  } while (cursor !== '0');
  return true;
}

async function sameSet(source: RedisClient, target: RedisClient, key: Buffer, chunkSize: number): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, members] = (await source.callBuffer('SSCAN', key, cursor, 'COUNT', chunkSize)) as [Buffer, Buffer[]];
    cursor = next.toString();
    if (members.length === 0) continue;
    const present = (await target.call('SMISMEMBER', key, ...members).catch(() =>
      // Before Redis 6.2: one SISMEMBER per member.
      Promise.all(members.map((m) => target.call('SISMEMBER', key, m))),
    )) as number[];
    if (present.some((p) => p !== 1)) return false;
  } while (cursor !== '0');
  return true;
}

/** A score as Redis prints it ("%.17g", "inf", "-inf") to the exact double. */
export function parseScore(text: string): number {
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  return Number(text);
}

async function sameZset(source: RedisClient, target: RedisClient, key: Buffer, chunkSize: number): Promise<boolean> {
  let cursor = '0';
  do {
    const [next, items] = (await source.callBuffer('ZSCAN', key, cursor, 'COUNT', chunkSize)) as [Buffer, Buffer[]];
    cursor = next.toString();
    if (items.length === 0) continue;
    const members = items.filter((_, i) => i % 2 === 0);
    const scores = (await target.callBuffer('ZMSCORE', key, ...members).catch(() =>
      // Before Redis 6.2: one ZSCORE per member.
      Promise.all(members.map((m) => target.callBuffer('ZSCORE', key, m))),
    )) as (Buffer | null)[];
    for (let i = 0; i < members.length; i++) {
      const score = scores[i];
      if (!score || !Object.is(parseScore(score.toString()), parseScore(items[2 * i + 1]!.toString()))) return false;
    }
  } while (cursor !== '0');
  return true;
}

/** Entries, the stream's counters, its groups, their consumers and their pending entries. */
async function sameStream(source: RedisClient, target: RedisClient, key: Buffer, chunkSize: number): Promise<boolean> {
  const [ia, ib] = (await both(source, target, 'XINFO', 'STREAM', key, { text: true })) as [unknown[], unknown[]];
  const meta = (info: unknown[]) => {
    const m = flatMap(info);
    return JSON.stringify(['length', 'last-generated-id', 'max-deleted-entry-id', 'entries-added'].map((f) => m.get(f) ?? null));
  };
  if (meta(ia) !== meta(ib)) return false;
  for (let start = '-'; ; ) {
    const [a, b] = (await both(source, target, 'XRANGE', key, start, '+', 'COUNT', chunkSize)) as [
      [Buffer, Buffer[]][],
      [Buffer, Buffer[]][],
    ];
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!a[i]![0].equals(b[i]![0]) || !sameBuffers(a[i]![1], b[i]![1])) return false;
    if (a.length < chunkSize) break;
    start = nextStreamId(a[a.length - 1]![0].toString());
  }
  const [ga, gb] = (await both(source, target, 'XINFO', 'GROUPS', key)) as [unknown[][], unknown[][]];
  if (canonical(ga) !== canonical(gb)) return false;
  for (const group of ga) {
    const name = flatMap(group).get('name') as Buffer;
    const consumers = (info: unknown[][]) => canonical(info.map((c) => flatMap(c)).map((m) => [m.get('name'), m.get('pending')]));
    const [ca, cb] = (await both(source, target, 'XINFO', 'CONSUMERS', key, name)) as [unknown[][], unknown[][]];
    if (consumers(ca) !== consumers(cb)) return false;
    for (let start = '-'; ; ) {
      const [pa, pb] = (await both(source, target, 'XPENDING', key, name, start, '+', chunkSize)) as [unknown[][], unknown[][]];
      // id, consumer and delivery count; the idle time differs by the time the copy took.
      const rows = (page: unknown[][]) => canonical(page.map(([id, consumer, , deliveries]) => [id, consumer, deliveries]));
      if (rows(pa) !== rows(pb)) return false;
      if (pa.length < chunkSize) break;
      start = nextStreamId(String(pa[pa.length - 1]![0]));
    }
  }
  return true;
}

function flatMap(reply: unknown[]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), reply[i + 1]);
  return m;
}

/** JSON with Buffers as hex, for comparing nested replies. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('hex')
      : v,
  );
}

function sameBuffers(a: Buffer[], b: Buffer[]): boolean {
  return a.length === b.length && a.every((x, i) => x.equals(b[i]!));
}

/** The same command on both sides at once; `{ text: true }` last asks for string replies. */
async function both(
  source: RedisClient,
  target: RedisClient,
  command: string,
  ...rest: (string | Buffer | number | { text: true })[]
): Promise<[unknown, unknown]> {
  const last = rest[rest.length - 1];
  const text = typeof last === 'object' && !Buffer.isBuffer(last);
  const args = (text ? rest.slice(0, -1) : rest) as (string | Buffer | number)[];
  const run = (c: RedisClient) => (text ? c.call(command, ...args) : readBuffer(c, command, ...args));
  return Promise.all([run(source), run(target)]);
}
