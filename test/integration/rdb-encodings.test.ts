import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { intsetMembers } from '../../src/rdb/encodings/intset.js';
import { listpackEntries } from '../../src/rdb/encodings/listpack.js';
import { ListpackCursor } from '../../src/rdb/encodings/listpack-cursor.js';
import { streamListpackEntries } from '../../src/rdb/encodings/stream-listpack.js';
import { encodingValues } from '../fixtures/rdb-encoding-values.js';
import { dumpBlob, dumpQuicklistNodes, dumpStreamNodes, RDB_TYPE } from '../helpers/dump-blobs.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/**
 * The decoders read the blobs a real redis-server 7.0 writes (taken from DUMP payloads, where they sit
 * exactly as in an RDB file), and must give what the server itself replies for the same key.
 */
/** The encoding classes of a listpack's entries (what the server chose), so the test shows its coverage. */
function listpackEncodingsUsed(blob: Buffer): string[] {
  const used = new Set<string>();
  const cursor = new ListpackCursor(blob);
  while (cursor.next()) {
    const byte = blob[cursor.entryOffset]!;
    const prefixes = ['0xxxxxxx', '10xxxxxx', '110xxxxx', '1110xxxx'];
    used.add(
      byte < 0x80 ? prefixes[0]! : byte < 0xc0 ? prefixes[1]! : byte < 0xe0 ? prefixes[2]! : byte < 0xf0 ? prefixes[3]! : byte.toString(16),
    );
  }
  return [...used].sort();
}

describe('RDB encodings: blobs from redis-server 7.0', () => {
  let server: RedisServer;
  let client: Redis;
  const values = encodingValues();

  before(async () => {
    server = await startRedis();
    client = server.client();
    // Long values stay in listpacks; lists split into several quicklist nodes; no LZF in DUMP.
    await client.config('SET', 'hash-max-listpack-value', '20000', 'zset-max-listpack-value', '20000', 'rdbcompression', 'no');
    await client.config('SET', 'list-max-listpack-size', '7', 'stream-node-max-entries', '4');
  });
  after(async () => {
    await server?.stop();
  });

  async function payload(key: string, encoding: string, type: number): Promise<Buffer> {
    assert.equal(await client.object('ENCODING', key), encoding, `${key} should be ${encoding}`);
    const dump = await client.dumpBuffer(key);
    assert.equal(dump[0], type, `${key}: RDB type`);
    return dump;
  }

  it('listpack hash: every integer width, empty, binary and long strings, in HGETALL order', async () => {
    const args = values.flatMap((v, i) => [Buffer.from(`f${i}`), v]);
    args.push(...values.flatMap((v, i) => [v, Buffer.from(`v${i}`)]).slice(2)); // values as fields too (field '0' already exists)
    await client.hset('hash', ...args);
    const blob = dumpBlob(await payload('hash', 'listpack', RDB_TYPE.hashListpack));
    assert.deepEqual(listpackEntries(blob), await client.callBuffer('HGETALL', 'hash'));
    assert.deepEqual(listpackEncodingsUsed(blob), ['0xxxxxxx', '10xxxxxx', '110xxxxx', '1110xxxx', 'f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it('listpack of more than 65535 entries: the header count says "unknown", the walk counts them', async () => {
    await client.config('SET', 'hash-max-listpack-entries', '40000');
    const fields = Array.from({ length: 35_000 }, (_, i) => [`f${i}`, i % 2 ? String(i) : `v${i}`]).flat();
    for (let i = 0; i < fields.length; i += 10_000) await client.hset('hash:huge', ...fields.slice(i, i + 10_000));
    const blob = dumpBlob(await payload('hash:huge', 'listpack', RDB_TYPE.hashListpack));
    assert.equal(blob.readUInt16LE(4), 0xffff);
    const entries = listpackEntries(blob);
    assert.equal(entries.length, 70_000);
    assert.deepEqual(entries.map(String), fields);
  });

  it('listpack zset: members and scores (integers, fractions, negatives, infinities)', async () => {
    const scores = ['0', '-1', '1.5', '-2.25', '1e100', '4096', '-9007199254740991', 'inf', '-inf', '0.1'];
    await client.zadd('zset', ...scores.flatMap((s, i) => [s, values[i * 3]!]));
    const entries = listpackEntries(dumpBlob(await payload('zset', 'listpack', RDB_TYPE.zsetListpack)));
    // Flat (RESP2) or [member, score] pairs (RESP3), the score a string or a double.
    const reply = ((await client.callBuffer('ZRANGE', 'zset', '0', '-1', 'WITHSCORES')) as unknown[]).flat();
    assert.equal(entries.length, reply.length);
    for (let i = 0; i < reply.length; i += 2) {
      assert.deepEqual(entries[i], reply[i]);
      assert.equal(Number(entries[i + 1]!.toString()), Number(String(reply[i + 1])));
    }
  });

  it('quicklist of listpacks: the nodes in order give LRANGE', async () => {
    await client.rpush('list', ...values);
    const nodes = dumpQuicklistNodes(await payload('list', 'quicklist', RDB_TYPE.listQuicklist2));
    assert.ok(nodes.length > 3, 'several nodes');
    assert.ok(nodes.every((n) => !n.plain));
    assert.deepEqual(
      nodes.flatMap((n) => listpackEntries(n.blob)),
      await client.lrangeBuffer('list', 0, -1),
    );
  });

  for (const [width, members] of [
    [16, ['-32768', '0', '5', '32767']],
    [32, ['-2147483648', '-1', '32768', '2147483647']],
    [64, ['-9223372036854775808', '-2147483649', '0', '9007199254740993', '9223372036854775807']],
  ] as const) {
    it(`intset of ${width}-bit members: ascending, as SMEMBERS`, async () => {
      const key = `intset${width}`;
      await client.sadd(key, ...[...members].reverse());
      const decoded = intsetMembers(dumpBlob(await payload(key, 'intset', RDB_TYPE.setIntset)));
      assert.deepEqual(
        decoded.map((b) => b.toString()),
        members,
      );
      const reply = (await client.smembersBuffer(key)).map((b) => b.toString());
      assert.deepEqual([...reply].sort(), [...members].sort());
    });
  }

  it('stream listpacks: same-field and new-field entries, deleted entries skipped, as XRANGE', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) {
      const fields = i % 3 === 2 ? ['other', values[i]!, 'n', String(i)] : ['temp', values[i]!, 'unit', 'C'];
      ids.push((await client.xadd('stream', `${1000 + i}-${i}`, ...fields)) as string);
    }
    await client.xadd('stream', '2000-0', 'big', Buffer.alloc(5000, 'x'), '', '');
    await client.xdel('stream', ids[1]!, ids[5]!, ids[6]!);
    const nodes = dumpStreamNodes(await payload('stream', 'stream', RDB_TYPE.streamListpacks2));
    assert.ok(nodes.length >= 3, 'several nodes');
    const decoded = nodes.flatMap((n) => streamListpackEntries(n.masterId, n.blob));
    const reply = (await client.callBuffer('XRANGE', 'stream', '-', '+')) as [Buffer, Buffer[]][];
    assert.deepEqual(
      decoded.map((e) => [Buffer.from(`${e.id.ms}-${e.id.seq}`), e.fields]),
      reply,
    );
    assert.equal(decoded.length, 9);
  });

  it('stream listpack: id deltas beyond int64 wrap around as unsigned 64-bit ids', async () => {
    await client.xadd('far', '1-1', 'a', '1');
    await client.xadd('far', '9223372036854775808-0', 'a', '2');
    await client.xadd('far', '18446744073709551614-5', 'a', '3');
    const nodes = dumpStreamNodes(await payload('far', 'stream', RDB_TYPE.streamListpacks2));
    assert.equal(nodes.length, 1);
    const decoded = nodes.flatMap((n) => streamListpackEntries(n.masterId, n.blob));
    assert.deepEqual(
      decoded.map((e) => `${e.id.ms}-${e.id.seq}`),
      ['1-1', '9223372036854775808-0', '18446744073709551614-5'],
    );
    assert.deepEqual(
      decoded.map((e) => e.fields.map(String)),
      [
        ['a', '1'],
        ['a', '2'],
        ['a', '3'],
      ],
    );
  });
});
