import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';

/**
 * Asserts that every key of the source db exists on the target with the same type, the same
 * value and a TTL within `ttlToleranceMs`, and that the target holds nothing else. Deliberately
 * independent of the product's own verify code: the tests must not grade the product with itself.
 * Values count as equal when DUMP bytes are equal, or else when the type's own read commands give
 * the same content (hash-table encodings serialize in a per-server order).
 */
export async function assertSameData(source: Redis, target: Redis, ttlToleranceMs = 1000): Promise<number> {
  const keys = await allKeys(source);
  assert.equal(await target.dbsize(), keys.length, 'target key count differs from source');
  for (const key of keys) {
    const label = JSON.stringify(key.toString('latin1'));
    const [type, targetType] = await Promise.all([source.type(key), target.type(key)]);
    assert.equal(targetType, type, `type of ${label}`);
    const [ttl, targetTtl] = await Promise.all([source.pttl(key), target.pttl(key)]);
    if (ttl === -1) assert.equal(targetTtl, -1, `${label} must have no TTL on the target`);
    else
      assert.ok(targetTtl > 0 && Math.abs(ttl - targetTtl) <= ttlToleranceMs, `TTL of ${label}: source ${ttl} ms, target ${targetTtl} ms`);
    const [a, b] = await Promise.all([source.dumpBuffer(key), target.dumpBuffer(key)]);
    if (a.equals(b)) continue;
    assert.deepEqual(await readValue(target, key, type), await readValue(source, key, type), `value of ${label}`);
  }
  return keys.length;
}

async function allKeys(client: Redis): Promise<Buffer[]> {
  const keys: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, batch] = (await client.scanBuffer(cursor, 'COUNT', 1000)) as [Buffer, Buffer[]];
    keys.push(...batch);
    cursor = next.toString();
  } while (cursor !== '0');
  return keys;
}

async function readValue(client: Redis, key: Buffer, type: string): Promise<unknown> {
  const hex = (list: Buffer[]) => list.map((b) => b.toString('hex'));
  switch (type) {
    case 'string':
      return (await client.getBuffer(key))?.toString('hex');
    case 'hash': {
      const flat = (await client.callBuffer('HGETALL', [key])) as Buffer[];
      const pairs: string[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]!.toString('hex')}=${flat[i + 1]!.toString('hex')}`);
      return pairs.sort();
    }
    case 'set':
      return hex(await client.smembersBuffer(key)).sort();
    case 'zset':
      return hex(await client.zrangeBuffer(key, '0', '-1', 'WITHSCORES'));
    case 'list':
      return hex(await client.lrangeBuffer(key, 0, -1));
    case 'stream':
      return JSON.stringify([await client.xrange(key, '-', '+'), await client.xinfo('GROUPS', key)]);
    default:
      return (await client.dumpBuffer(key)).toString('hex');
  }
}
