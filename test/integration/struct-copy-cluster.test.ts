import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Cluster, Redis } from 'ioredis';
import { keySlot } from '../../src/redis/key-slot.js';
import { copyKeyByType, tempKeyFor } from '../../src/struct/index.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../helpers/index.js';

/**
 * The temp-name + RENAME protocol on a real cluster target: RENAME and MULTI need the temporary
 * name in the key's hash slot, for every shape of key name (own hash tag, stray braces, binary).
 */
describe('struct mode: cluster target', () => {
  let source: RedisServer;
  let cluster: RedisCluster;
  let s: Redis;
  let t: Cluster;

  before(async () => {
    [source, cluster] = await Promise.all([startRedis(), startCluster({ masters: 3 })]);
    s = source.client();
    t = cluster.client();
  });
  after(async () => {
    t?.disconnect();
    await Promise.all([source?.stop(), cluster?.stop()]);
  });

  // ioredis' slot function (cluster-key-slot 1.1.2) gets keys whose first braces are empty ("x{}y{z}")
  // wrong: it hashes "y{z" where the server hashes the whole key, and then refuses the MULTI as
  // cross-slot before sending it. Such names are checked against the server below, not copied.
  const names = ['plain', '{user:1}:profile', 'a}b{c', '\u00ff\u0000{a}\u0080'].map((n) => Buffer.from(n, 'latin1'));

  it('puts the temporary name in the slot the server computes for the key', async () => {
    const node = cluster.masters[0]!.client();
    for (const name of [...names, Buffer.from('x{}y{z}'), Buffer.from([0xff, 0x00, 0x7b, 0x7d, 0x80])]) {
      const serverSlot = Number(await node.call('CLUSTER', 'KEYSLOT', name));
      assert.equal(keySlot(name), serverSlot, name.toString('latin1'));
      assert.equal(Number(await node.call('CLUSTER', 'KEYSLOT', tempKeyFor(name))), serverSlot, `temp of ${name.toString('latin1')}`);
    }
  });

  it('copies every type under every shape of key name, in one chunk and in many', async () => {
    // Prepare
    const p = s.pipeline();
    for (const name of names) {
      const k = (type: string) => Buffer.concat([name, Buffer.from(`:${type}`)]);
      p.set(k('string'), 'x'.repeat(5000));
      p.hset(k('hash'), ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
      p.sadd(k('set'), ...Array.from({ length: 300 }, (_, i) => `m${i}`));
      p.zadd(k('zset'), ...Array.from({ length: 300 }, (_, i) => [i / 3, `z${i}`]).flat());
      p.rpush(k('list'), ...Array.from({ length: 300 }, (_, i) => `i${i}`));
      p.xadd(k('stream'), '1-1', 'a', '1');
      p.pexpire(k('hash'), 600_000);
    }
    await p.exec();
    const keys = names.flatMap((name) =>
      ['string', 'hash', 'set', 'zset', 'list', 'stream'].map((type) => Buffer.concat([name, Buffer.from(`:${type}`)])),
    );
    // Act: small chunks force the multi-chunk path; the default the single-MULTI path.
    for (const [i, key] of keys.entries()) {
      const options = i % 2 === 0 ? { replace: true, chunkSize: 7, chunkBytes: 512 } : { replace: true };
      assert.equal((await copyKeyByType(s, t, key, options)).status, 'copied', key.toString('latin1'));
    }
    // Assess
    for (const key of keys) {
      const label = key.toString('latin1');
      const type = await s.type(key);
      assert.equal(await t.type(key), type, label);
      assert.ok(Math.abs((await t.pttl(key)) - (await s.pttl(key))) < 1000, `ttl ${label}`);
      if (type === 'hash') assert.deepEqual(await t.hgetall(key), await s.hgetall(key));
      if (type === 'set') assert.deepEqual((await t.smembers(key)).sort(), (await s.smembers(key)).sort());
      if (type === 'zset') assert.deepEqual(await t.zrange(key, '0', '-1', 'WITHSCORES'), await s.zrange(key, '0', '-1', 'WITHSCORES'));
      if (type === 'list') assert.deepEqual(await t.lrange(key, 0, -1), await s.lrange(key, 0, -1));
      if (type === 'string') assert.equal(await t.get(key), await s.get(key));
      if (type === 'stream') assert.deepEqual(await t.xrange(key, '-', '+'), await s.xrange(key, '-', '+'));
    }
    const counts = await Promise.all(cluster.masters.map((m) => m.client().dbsize()));
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      keys.length,
      'no temporary key is left on any master',
    );
  });
});
