import type { Redis } from 'ioredis';
import { encodingValues } from '../../test/fixtures/rdb-encoding-values.js';

/** Far-future absolute expiries (2100-01-01 and a little later): the fixture never expires on its own. */
export const EXPIRE_AT_MS = 4_102_444_800_000;

/** The absolute expiry the dataset sets on each expiring key (6.2 cannot report it: no PEXPIRETIME). */
export const KEY_EXPIRIES = new Map<string, number>([
  ['str:expiring', EXPIRE_AT_MS],
  ['hash:expiring', EXPIRE_AT_MS + 123],
  ['db2:expiring', EXPIRE_AT_MS + 456],
]);

export interface ServerVersion {
  major: number;
  minor: number;
}

const atLeast = (v: ServerVersion, major: number, minor: number) => v.major > major || (v.major === major && v.minor >= minor);

/** CONFIG SET one name at a time: 6.2 takes a single pair per call. */
async function configSet(client: Redis, ...pairs: string[]): Promise<void> {
  for (let i = 0; i < pairs.length; i += 2) await client.config('SET', pairs[i]!, pairs[i + 1]!);
}

/**
 * The entry-encoding values, keeping the fixture small: of the long strings only the 16384-byte one
 * (a 32-bit length in ziplists and listpacks); the 12-bit / 14-bit lengths are covered by 64 to 254 bytes.
 */
function values(): Buffer[] {
  return encodingValues().filter((v) => v.length < 4095 || v.length === 16384);
}

/**
 * Phase 1: compact encodings (ziplist / listpack / intset), with limits high enough for every value.
 * The `*-ziplist-*` names are the only ones 6.2 knows; 7.x still accepts them as aliases.
 */
export async function writeCompact(client: Redis, version: ServerVersion): Promise<void> {
  await configSet(client, 'hash-max-ziplist-entries', '128', 'hash-max-ziplist-value', '20000');
  await configSet(client, 'zset-max-ziplist-entries', '128', 'zset-max-ziplist-value', '20000');
  await configSet(client, 'set-max-intset-entries', '128', 'list-max-ziplist-size', '5', 'stream-node-max-entries', '4');
  const all = values();
  const short = all.filter((v) => v.length < 4095);
  await client.hset('hash:compact', ...all.flatMap((v, i) => [Buffer.from(`f${i}`), v]), '-17', 'int field', '', 'empty field');
  const scores = ['0', '-1', '1.5', '-2.25', '1e+100', '4096', '-9007199254740991', 'inf', '-inf', '0.1', '3e-05'];
  await client.zadd('zset:compact', ...scores.flatMap((s, i) => [s, short[i * 2]!]));
  await client.rpush('list:quicklist', ...short);
  await client.sadd('set:intset16', '-32768', '0', '7', '32767');
  await client.sadd('set:intset32', '-2147483648', '-1', '65536', '2147483647');
  await client.sadd('set:intset64', '-9223372036854775808', '0', '4294967296', '9223372036854775807');
  await client.hset('hash:expiring', 'a', '1', 'b', 'two');
  await client.pexpireat('hash:expiring', KEY_EXPIRIES.get('hash:expiring')!);
  if (atLeast(version, 7, 2)) {
    await configSet(client, 'set-max-listpack-entries', '128');
    await client.sadd('set:listpack', 'apple', '', '-5', Buffer.from([0, 0xff]));
  }
  if (atLeast(version, 7, 4)) await writeFieldTtls(client);
}

/** 7.4 hash field expiry: a listpack hash with TTLs (RDB type HASH_LISTPACK_EX) and a hashtable one (HASH_METADATA). */
async function writeFieldTtls(client: Redis): Promise<void> {
  await client.hset('hash:fieldttl', 'keep', 'forever', 'soon', 's', 'later', 'l', '42', '-7');
  await client.call('HPEXPIREAT', 'hash:fieldttl', String(EXPIRE_AT_MS + 2000), 'FIELDS', '1', 'later');
  await client.call('HPEXPIREAT', 'hash:fieldttl', String(EXPIRE_AT_MS + 1000), 'FIELDS', '2', 'soon', '42');
  await configSet(client, 'hash-max-ziplist-entries', '2');
  await client.hset('hash:fieldttl:table', 'a', '1', 'b', '2', 'c', '3');
  await client.call('HPEXPIREAT', 'hash:fieldttl:table', String(EXPIRE_AT_MS + 5000), 'FIELDS', '1', 'b');
  await configSet(client, 'hash-max-ziplist-entries', '128');
}

/** A stream over several nodes: same-field and new-field entries, deleted ones, two groups, PELs, consumers. */
export async function writeStream(client: Redis, version: ServerVersion): Promise<void> {
  for (let i = 1; i <= 10; i++) {
    const fields = i % 4 === 0 ? ['kind', 'other', 'n', String(i * 1000), 'empty', ''] : ['temp', String(20 + i), 'unit', 'C'];
    await client.xadd('stream:events', `1700000000000-${i}`, ...fields);
  }
  await client.xdel('stream:events', '1700000000000-2', '1700000000000-6');
  await client.xgroup('CREATE', 'stream:events', 'g1', '0');
  await client.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', 'stream:events', '>');
  await client.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', 'stream:events', '>');
  await client.xack('stream:events', 'g1', '1700000000000-3');
  await client.xgroup('CREATE', 'stream:events', 'g2', '$');
  await client.call('XGROUP', 'CREATECONSUMER', 'stream:events', 'g2', 'carol');
  await client.xadd('stream:empty', '5-5', 'x', '1');
  await client.xdel('stream:empty', '5-5');
  if (version.major >= 7) await client.call('XSETID', 'stream:empty', '5-5', 'ENTRIESADDED', '1', 'MAXDELETEDID', '5-5');
}

/** Phase 2: the general encodings (hashtable, skiplist), made by lowering the limits after phase 1. */
export async function writeGeneral(client: Redis, version: ServerVersion): Promise<void> {
  await configSet(client, 'hash-max-ziplist-entries', '2', 'zset-max-ziplist-entries', '2', 'set-max-intset-entries', '2');
  if (atLeast(version, 7, 2)) await configSet(client, 'set-max-listpack-entries', '2');
  if (version.major >= 7) {
    // Quicklist v2 "plain" nodes: an element at or above the packed threshold (1 GB unless lowered) gets a node of its own.
    await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '100');
    await client.rpush('list:plain', 'a', 'b', Buffer.alloc(150, 'p'), 'c', 'd', 'e', 'f');
    await client.call('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', '1073741824');
  }
  await client.hset('hash:table', 'a', '1', 'b', Buffer.from([0xfe, 0xff]), 'c', '');
  await client.zadd('zset:skiplist', '1', 'one', '2.5', 'two and a half', '-inf', 'bottom');
  await client.sadd('set:table', 'x', 'y', 'z');
  await client.sadd('set:manyints', '1', '2', '3');
}

/** Strings in each RDB form: raw, integer (8/16/32-bit), too big for an int encoding, LZF-compressed. */
export async function writeStrings(client: Redis): Promise<void> {
  await client.set('str:raw', 'hello, world');
  await client.set('str:int8', '-42');
  await client.set('str:int16', '12345');
  await client.set('str:int32', '-2000000000');
  await client.set('str:int64', '9223372036854775807');
  await client.set('str:empty', '');
  await client.set('str:binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  await client.set('str:lzf', 'redis-ferry '.repeat(20));
  await client.set('str:expiring', 'bye in 2100');
  await client.pexpireat('str:expiring', KEY_EXPIRIES.get('str:expiring')!);
}
