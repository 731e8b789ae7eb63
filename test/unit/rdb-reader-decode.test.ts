import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeObject, type HashField, type RdbValue } from '../../src/rdb/decode-object.js';
import { RdbFormatError, RdbUnsupportedError } from '../../src/rdb/rdb-errors.js';
import { type RdbKey, type RdbRecord, walkRdb } from '../../src/rdb/walk-rdb.js';
import { f64le, intStr, keyRecord, len, listpack, lzfStr, memorySource, rdbFile, str, u64le } from '../helpers/rdb-builder.js';

async function walk(data: Buffer): Promise<RdbRecord[]> {
  const out: RdbRecord[] = [];
  for await (const r of walkRdb(memorySource(data, 5))) out.push(r);
  return out;
}

/** Walks a file holding one key record and returns that key. */
async function only(type: number, object: Buffer): Promise<RdbKey> {
  const records = await walk(rdbFile(12, [keyRecord(type, 'k', object), keyRecord(0, 'next', str('n'))]));
  const key = records[0] as RdbKey;
  assert.equal(key.type, type);
  assert.ok(key.object.equals(object), 'the object is captured exactly');
  assert.equal((records[1] as RdbKey).key.toString(), 'next', 'and the walk goes on after it');
  return key;
}

const fieldsOf = (value: RdbValue): [string, string, number | null][] => {
  assert.equal(value.kind, 'hash');
  return [...(value as { fields: Iterable<HashField> }).fields].map((f) => [f.field.toString(), f.value.toString(), f.expireAtMs]);
};

const MIN = 1_800_000_000_000;

describe('7.4 hashes with field expiries', () => {
  it('HASH_METADATA (24): expiries relative to the stored minimum, 0 for none', async () => {
    const object = Buffer.concat([u64le(MIN), len(2), len(0), str('plain'), str('v1'), len(501), str('ttl'), intStr(7, 8)]);
    const key = await only(24, object);
    assert.deepEqual(fieldsOf(decodeObject(24, key.object, 12)), [
      ['plain', 'v1', null],
      ['ttl', '7', MIN + 500],
    ]);
  });

  it('HASH_METADATA_PRE_GA (22): absolute expiries, no minimum', async () => {
    const object = Buffer.concat([len(1), len(MIN), str('f'), str('v')]);
    const key = await only(22, object);
    assert.deepEqual(fieldsOf(decodeObject(22, key.object, 12)), [['f', 'v', MIN]]);
  });

  it('HASH_LISTPACK_EX (25) and its pre-GA form (23): listpack of field, value, expiry', async () => {
    const lp = listpack(['a', '1', 0n, 'b', '2', BigInt(MIN + 9)]);
    for (const [type, object] of [
      [25, Buffer.concat([u64le(MIN + 9), str(lp)])],
      [23, str(lp)],
    ] as const) {
      const key = await only(type, object);
      assert.deepEqual(fieldsOf(decodeObject(type, key.object, 12)), [
        ['a', '1', null],
        ['b', '2', MIN + 9],
      ]);
    }
  });
});

describe('module values and old-format records', () => {
  /** ReJSON-RL's id: the 9-character name in 6-bit symbols, then a 10-bit encoding version. */
  function moduleId(name: string, version: number): bigint {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let id = 0n;
    for (const ch of name) id = (id << 6n) | BigInt(chars.indexOf(ch));
    return (id << 10n) | BigInt(version);
  }

  it('skips a module value (type 7) over every field opcode, and names its module type', async () => {
    const f32 = Buffer.alloc(4);
    f32.writeFloatLE(1.5);
    const object = Buffer.concat([
      len(moduleId('ReJSON-RL', 3)),
      ...[len(1), len(2n ** 63n), len(2), len(5), len(3), f32, len(4), f64le(2.5), len(5), str('{"a":1}'), len(0)],
    ]);
    const key = await only(7, object);
    assert.deepEqual(decodeObject(7, key.object, 12), { kind: 'module', typeName: 'ReJSON-RL', encodingVersion: 3 });
  });

  it('skips MODULE_AUX records', async () => {
    const aux = Buffer.concat([Buffer.from([247]), len(moduleId('graphdata', 1)), len(2), len(2), len(5), str('x'), len(0)]);
    const records = await walk(rdbFile(10, [aux, keyRecord(0, 'k', str('v'))]));
    assert.deepEqual(
      records.map((r) => r.kind),
      ['key'],
    );
  });

  it('refuses a pre-GA module value (type 6) with a clear error and its offset', async () => {
    const data = rdbFile(10, [keyRecord(6, 'k', len(1))]);
    await assert.rejects(walk(data), (err: RdbUnsupportedError) => err instanceof RdbUnsupportedError && err.offset === 9);
  });

  it('reads the 7.0-rc FUNCTION record, putting back the #! line FUNCTION LOAD needs', async () => {
    const record = Buffer.concat([Buffer.from([246]), str('mylib'), str('LUA'), len(1), str('a library'), str('return 1')]);
    const [fn] = await walk(rdbFile(10, [record]));
    assert.equal(fn?.kind, 'function');
    assert.equal(fn?.kind === 'function' && fn.code.toString(), '#!lua name=mylib\nreturn 1');
  });
});

describe('decodeObject', () => {
  it('decodes the old sorted set with text scores (type 3), plain lists and sets', () => {
    const zset = Buffer.concat([len(3), str('a'), Buffer.from([254]), str('b'), str('1.5'), str('c'), Buffer.from([255])]);
    const value = decodeObject(3, zset, 9);
    assert.equal(value.kind, 'zset');
    assert.deepEqual(
      [...(value.kind === 'zset' ? value.members : [])].map((m) => [m.member.toString(), m.score]),
      [
        ['a', Infinity],
        ['b', 1.5],
        ['c', -Infinity],
      ],
    );
    const list = decodeObject(1, Buffer.concat([len(3), str('x'), intStr(-3, 16), lzfStr('y'.repeat(100))]), 9);
    assert.deepEqual([...(list.kind === 'list' ? list.items : [])].map(String), ['x', '-3', 'y'.repeat(100)]);
  });

  it('decodes quicklist 2 nodes: plain (1) and listpack (2)', () => {
    const object = Buffer.concat([len(2), len(1), str('plain element'), len(2), str(listpack(['p', 'q']))]);
    const value = decodeObject(18, object, 10);
    assert.deepEqual([...(value.kind === 'list' ? value.items : [])].map(String), ['plain element', 'p', 'q']);
  });

  it('throws RdbFormatError with the file offset when a blob is corrupt, from the iteration that reaches it', () => {
    const lp = listpack(['a', 'b']);
    lp[lp.length - 1] = 0x00; // no end marker
    const value = decodeObject(16, str(lp), 10, 1000);
    assert.equal(value.kind, 'hash');
    assert.throws(
      () => [...(value.kind === 'hash' ? value.fields : [])],
      (err: RdbFormatError) => err instanceof RdbFormatError && err.offset >= 1000,
    );
    assert.throws(() => decodeObject(99, Buffer.alloc(1), 10), RdbFormatError);
  });
});
