import type { Redis } from 'ioredis';

/**
 * The fixture's expected content, read back from the server that wrote it: every Buffer as base64,
 * numbers as Redis replied them. `dump` is the key's DUMP payload (base64): the object bytes exactly as
 * the RDB file holds them, so decoder tests can reach each blob without an RDB walker.
 */
export interface ExpectedKey {
  db: number;
  key: string;
  type: string;
  encoding: string;
  /** Absolute expiry in ms since the epoch, or null. */
  expireAtMs: number | null;
  value: unknown;
  /** Redis 7.4 hash field expiries: [field base64, absolute ms], for the fields that have one. */
  fieldExpireAtMs?: [string, number][];
  dump: string;
}

const b64 = (b: Buffer) => b.toString('base64');
const text = (b: unknown) => (Buffer.isBuffer(b) ? b.toString('latin1') : b);

/** RESP2 [name, value, name, value…] as a map with text names. */
function pairs(reply: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i < reply.length; i += 2) map.set(String(text(reply[i])), reply[i + 1]);
  return map;
}

async function readValue(client: Redis, key: Buffer, type: string): Promise<unknown> {
  switch (type) {
    case 'string':
      return b64((await client.getBuffer(key))!);
    case 'list':
      return (await client.lrangeBuffer(key, 0, -1)).map(b64);
    case 'set':
      return (await client.smembersBuffer(key)).sort(Buffer.compare).map(b64);
    case 'zset': {
      const flat = (await client.callBuffer('ZRANGE', key, '0', '-1', 'WITHSCORES')) as Buffer[];
      return Array.from({ length: flat.length / 2 }, (_, i) => [b64(flat[2 * i]!), flat[2 * i + 1]!.toString()]);
    }
    case 'hash': {
      const flat = (await client.callBuffer('HGETALL', key)) as Buffer[];
      return Array.from({ length: flat.length / 2 }, (_, i) => [b64(flat[2 * i]!), b64(flat[2 * i + 1]!)]);
    }
    case 'stream':
      return readStream(client, key);
    default:
      throw new Error(`no reader for type ${type}`);
  }
}

/** XINFO STREAM FULL, with entries' fields in base64 and every id and counter as replied. */
async function readStream(client: Redis, key: Buffer): Promise<unknown> {
  const info = pairs((await client.callBuffer('XINFO', 'STREAM', key, 'FULL')) as unknown[]);
  const stream: Record<string, unknown> = {};
  for (const [name, value] of info) {
    if (name === 'entries') {
      stream.entries = (value as [Buffer, Buffer[]][]).map(([id, fields]) => [id.toString(), fields.map(b64)]);
    } else if (name === 'groups') {
      stream.groups = (value as unknown[][]).map(readGroup);
    } else {
      stream[name] = text(value);
    }
  }
  return stream;
}

function readGroup(reply: unknown[]): Record<string, unknown> {
  const group: Record<string, unknown> = {};
  for (const [name, value] of pairs(reply)) {
    if (name === 'name') group.name = b64(value as Buffer);
    else if (name === 'pending')
      group.pending = (value as unknown[][]).map(([id, consumer, time, count]) => [text(id), b64(consumer as Buffer), time, count]);
    else if (name === 'consumers') group.consumers = (value as unknown[][]).map(readConsumer);
    else group[name] = text(value);
  }
  return group;
}

function readConsumer(reply: unknown[]): Record<string, unknown> {
  const consumer: Record<string, unknown> = {};
  for (const [name, value] of pairs(reply)) {
    if (name === 'name') consumer.name = b64(value as Buffer);
    else if (name === 'pending') consumer.pending = (value as unknown[][]).map((entry) => entry.map(text));
    else consumer[name] = text(value);
  }
  return consumer;
}

/** Per-field absolute expiries (Redis 7.4 HPEXPIRETIME), [field base64, ms]; only fields that have one. */
async function fieldExpiries(client: Redis, key: Buffer, value: [string, string][]): Promise<[string, number][]> {
  const fields = value.map(([field]) => Buffer.from(field, 'base64'));
  const times = (await client.call('HPEXPIRETIME', key, 'FIELDS', String(fields.length), ...fields)) as number[];
  return value.flatMap(([field], i) => (times[i]! > 0 ? [[field, times[i]!] as [string, number]] : []));
}

/**
 * Every key of `db`, sorted by name, with its type, encoding, expiry, value and DUMP payload.
 * `expiries` holds the absolute expiry the dataset set on each expiring key (6.2 has no PEXPIRETIME).
 */
export async function readDb(client: Redis, db: number, expiries: Map<string, number>, fieldTtls: boolean): Promise<ExpectedKey[]> {
  await client.select(db);
  const keys = (await client.keysBuffer('*')).sort(Buffer.compare);
  const out: ExpectedKey[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    const expireAtMs = (await client.pttl(key)) < 0 ? null : expiries.get(key.toString('latin1'));
    if (expireAtMs === undefined) throw new Error(`${key} expires, but the dataset did not record when`);
    const value = await readValue(client, key, type);
    const entry: ExpectedKey = {
      db,
      key: b64(key),
      type,
      encoding: String(await client.object('ENCODING', key)),
      expireAtMs,
      value,
      dump: '',
    };
    if (fieldTtls && type === 'hash') {
      const ttls = await fieldExpiries(client, key, value as [string, string][]);
      if (ttls.length > 0) entry.fieldExpireAtMs = ttls;
    }
    entry.dump = b64((await client.dumpBuffer(key))!);
    out.push(entry);
  }
  return out;
}
