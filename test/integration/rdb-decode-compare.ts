import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import type { RdbValue, StreamId } from '../../src/rdb/decode-object.js';

/** Comparisons of a decoded RDB value with what the live server replies for the key. */

const hex = (b: Buffer) => b.toString('hex');
const sortedHex = (items: Iterable<Buffer>) => [...items].map(hex).sort();
const idText = (id: StreamId) => `${id.ms}-${id.seq}`;
const score = (text: string) => (text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text));

export async function assertDecodedEqualsServer(client: Redis, key: Buffer, value: RdbValue): Promise<void> {
  switch (value.kind) {
    case 'string':
      assert.ok(value.value.equals((await client.getBuffer(key))!), `string ${key}`);
      return;
    case 'list':
      assert.deepEqual([...value.items].map(hex), (await client.lrangeBuffer(key, '0', '-1')).map(hex), `list ${key}`);
      return;
    case 'set':
      assert.deepEqual(sortedHex(value.members), sortedHex(await client.smembersBuffer(key)), `set ${key}`);
      return;
    case 'zset': {
      const reply = await client.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
      const expected = [];
      for (let i = 0; i < reply.length; i += 2) expected.push([hex(reply[i]!), score(reply[i + 1]!.toString())]);
      const got = [...value.members].map((m) => [hex(m.member), m.score]);
      assert.deepEqual(got.sort(), expected.sort(), `zset ${key}`);
      return;
    }
    case 'hash': {
      const reply = await client.hgetallBuffer(key);
      const got = Object.fromEntries([...value.fields].map((f) => [f.field.toString('latin1'), hex(f.value)]));
      const want = Object.fromEntries(Object.entries(reply).map(([f, v]) => [Buffer.from(f).toString('latin1'), hex(v)]));
      assert.deepEqual(got, want, `hash ${key}`);
      return;
    }
    case 'stream':
      await assertStream(client, key, value);
      return;
    default:
      assert.fail(`unexpected ${value.kind} for ${key}`);
  }
}

async function assertStream(client: Redis, key: Buffer, value: Extract<RdbValue, { kind: 'stream' }>): Promise<void> {
  const range = (await client.xrangeBuffer(key, '-', '+')) as [Buffer, Buffer[]][];
  const entries = [...value.entries];
  assert.deepEqual(
    entries.map((e) => [idText(e.id), e.fields.map(hex)]),
    range.map(([id, fields]) => [id.toString(), fields.map(hex)]),
    `stream entries of ${key}`,
  );
  assert.equal(value.length, BigInt(await client.xlen(key)));
  const info = (await client.call('XINFO', 'STREAM', key)) as unknown[];
  const field = (name: string) => info[info.indexOf(name) + 1];
  assert.equal(idText(value.lastId), field('last-generated-id'));
  assert.equal(idText(value.maxDeletedId!), field('max-deleted-entry-id'));
  assert.equal(value.entriesAdded, BigInt(field('entries-added') as number));
  const groups = (await client.call('XINFO', 'GROUPS', key)) as unknown[][];
  assert.deepEqual(
    value.groups.map((g) => [g.name.toString(), idText(g.lastId), g.entriesRead === null ? null : Number(g.entriesRead), g.pending.length]),
    groups.map((g) => [g[1], g[7], g[9], g[5]]),
    `groups of ${key}`,
  );
  for (const g of value.groups) {
    const pending = (await client.call('XPENDING', key, g.name, '-', '+', '100')) as [string, string, number, number][];
    assert.deepEqual(
      g.pending.map((p) => [idText(p.id), p.consumer?.toString(), p.deliveryCount]),
      pending.map((p) => [p[0], p[1], p[3]]),
    );
    const consumers = (await client.call('XINFO', 'CONSUMERS', key, g.name)) as unknown[][];
    assert.deepEqual(g.consumers.map((c) => [c.name.toString(), c.pending.length]).sort(), consumers.map((c) => [c[1], c[3]]).sort());
  }
}
