import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { decodeObject } from '../../src/rdb/decode-object.js';
import { restorePayload } from '../../src/rdb/dump-payload.js';
import { fileByteSource } from '../../src/rdb/file-byte-source.js';
import { RdbFormatError, RdbUnsupportedError } from '../../src/rdb/rdb-errors.js';
import { splitRdb } from '../../src/rdb/split-rdb.js';
import { type RdbHeader, type RdbKey, type RdbRecord, readRdbHeader, walkRdb } from '../../src/rdb/walk-rdb.js';
import { EXPIRED_KEY, loadEveryEncoding, RDB_LIBRARY } from '../fixtures/rdb-dataset.js';
import { type RedisServer, startRedis } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';
import { checkedSplit } from '../helpers/rdb-split-check.js';
import { assertDecodedEqualsServer } from './rdb-decode-compare.js';

async function collect(records: AsyncIterable<RdbRecord>): Promise<RdbRecord[]> {
  const out: RdbRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const keysOf = (records: RdbRecord[]) => records.filter((r): r is RdbKey => r.kind === 'key');
const id = (k: RdbKey) => `${k.db}/${k.key.toString('hex')}`;

describe('RDB walker over a file BGSAVEd by a live redis-server with every type and encoding', () => {
  let server: RedisServer;
  let client: Redis;
  let path: string;
  let header: RdbHeader;
  let records: RdbRecord[];

  before(async () => {
    server = await startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS });
    client = server.client();
    await loadEveryEncoding(client);
    path = await saveRdb(server, 'every-encoding');
    header = await readRdbHeader(fileByteSource(path));
    records = await collect(walkRdb(fileByteSource(path)));
  });
  after(async () => {
    await server?.stop();
  });

  it('reads the header: version 10 from Redis 7.0, AUX fields, the body after them', () => {
    assert.equal(header.version, 10);
    assert.match(header.aux.get('redis-ver')?.toString() ?? '', /^7\.0\./);
    assert.ok(header.bodyOffset > 9);
  });

  it("captures every key's object exactly as DUMP serializes it (type byte + object + trailer)", async () => {
    const keys = keysOf(records).filter((k) => k.key.toString() !== EXPIRED_KEY);
    const dbs = new Map<number, number>();
    for (const k of keys) dbs.set(k.db, (dbs.get(k.db) ?? 0) + 1);
    for (const [db, count] of dbs) {
      await client.select(db);
      assert.equal(await client.dbsize(), count + (db === 0 ? 1 : 0), `db ${db}: every key once (plus the expired one)`);
    }
    for (const k of keys) {
      await client.select(k.db);
      const dump = await client.dumpBuffer(k.key);
      assert.ok(dump, `DUMP ${k.key} returned a payload`);
      assert.equal(k.type, dump[0], `type byte of ${k.key}`);
      assert.ok(k.object.equals(dump.subarray(1, dump.length - 10)), `object bytes of ${k.key} (type ${k.type})`);
      assert.ok(restorePayload(k.type, k.object, header.version).equals(dump), `restorePayload of ${k.key} equals DUMP`);
    }
    await client.select(0);
    const types = new Set(keys.map((k) => k.type));
    // string, set, hash, zset2, intset, quicklist2, stream2, hash/zset listpack
    for (const t of [0, 2, 4, 5, 11, 16, 17, 18, 19]) assert.ok(types.has(t), `the file holds type ${t}`);
  });

  it('gives absolute expiries equal to the server’s, and keeps the expired key with its past expiry', async () => {
    for (const k of keysOf(records)) {
      await client.select(k.db);
      if (k.key.toString() === EXPIRED_KEY) {
        assert.ok(k.expireAtMs !== null && k.expireAtMs < Date.now());
        continue;
      }
      const at = Number(await client.call('PEXPIRETIME', k.key));
      assert.equal(k.expireAtMs, at === -1 ? null : at, `expiry of ${k.key}`);
    }
    await client.select(0);
    assert.ok(keysOf(records).some((k) => k.key.toString() === 'exp:hash' && k.expireAtMs !== null));
  });

  it('decodes every value to what the server replies for it (GET, LRANGE, SMEMBERS, ZRANGE, HGETALL, XRANGE, XINFO)', async () => {
    const kinds = new Set<string>();
    for (const k of keysOf(records)) {
      if (k.key.toString() === EXPIRED_KEY) continue;
      await client.select(k.db);
      const value = decodeObject(k.type, k.object, header.version, k.end - k.object.length);
      kinds.add(value.kind);
      await assertDecodedEqualsServer(client, k.key, value);
    }
    await client.select(0);
    assert.deepEqual([...kinds].sort(), ['hash', 'list', 'set', 'stream', 'string', 'zset']);
  });

  it('finds the function library', () => {
    const fns = records.filter((r) => r.kind === 'function');
    assert.deepEqual(
      fns.map((f) => f.code.toString()),
      [RDB_LIBRARY],
    );
  });

  it('resumes from a mid-file key boundary with exactly the rest', async () => {
    const keys = keysOf(records);
    for (const i of [1, Math.floor(keys.length / 2), keys.length - 1]) {
      const at = keys[i]!;
      const rest = keysOf(await collect(walkRdb(fileByteSource(path), { from: { offset: at.start, db: at.db } })));
      assert.deepEqual(rest.map(id), keys.slice(i).map(id));
      assert.ok(rest.every((k, j) => k.object.equals(keys[i + j]!.object)));
    }
  });

  it('stops before the first record at or after `to`', async () => {
    const keys = keysOf(records);
    const stop = keys[5]!.start;
    const head = keysOf(await collect(walkRdb(fileByteSource(path), { to: stop })));
    assert.deepEqual(head.map(id), keys.slice(0, 5).map(id));
  });

  it('reports a cut or corrupted copy of the file as RdbFormatError with an offset, never a hang', async () => {
    const data = await readFile(path);
    const damaged = join(server.dir, 'damaged.rdb');
    const walkDamaged = async (bytes: Buffer): Promise<Error> => {
      await writeFile(damaged, bytes);
      try {
        for await (const _ of walkRdb(fileByteSource(damaged))) {
          // Records before the damage are valid and handed out; the walk must still end in an error.
        }
      } catch (err) {
        return err as Error;
      }
      return assert.fail(`a damaged file (${bytes.length} bytes) walked without an error`);
    };
    const size = data.length;
    for (const cut of [5, 9, header.bodyOffset + 2, Math.floor(size / 3), Math.floor(size / 2), size - 9, size - 1]) {
      const err = await walkDamaged(data.subarray(0, cut));
      assert.ok(err instanceof RdbFormatError, `cut at ${cut}: ${err}`);
      assert.match(err.message, /ends early/);
      assert.ok(err.offset <= cut, `cut at ${cut}: offset ${err.offset}`);
    }
    for (const at of [0, 7, header.bodyOffset, header.bodyOffset + 40, Math.floor(size / 4), Math.floor(size / 2), size - 20, size - 2]) {
      const bytes = Buffer.from(data);
      bytes[at]! ^= 0x5a;
      const err = await walkDamaged(bytes);
      assert.ok(err instanceof RdbFormatError || err instanceof RdbUnsupportedError, `byte ${at} flipped: ${err}`);
      assert.ok(err.offset >= 0 && err.offset <= size, `byte ${at} flipped: offset ${err.offset}`);
    }
  });

  it('splits the file into ranges of one db each that cover every record exactly once', async () => {
    for (const parts of [1, 3, 8, 1000]) await checkedSplit(() => fileByteSource(path), parts, header);
    // The 3 MiB string is the bulk of the file: 8 parts of it cannot all be distinct.
    const dbChanges = keysOf(records).filter((k, i, all) => i > 0 && k.db !== all[i - 1]!.db).length;
    assert.ok((await splitRdb(fileByteSource(path), 8, header)).length < 8 + dbChanges);
  });
});
