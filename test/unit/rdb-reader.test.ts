import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { restorePayload } from '../../src/rdb/dump-payload.js';
import { fileByteSource } from '../../src/rdb/file-byte-source.js';
import { lzfDecompress } from '../../src/rdb/lzf.js';
import { RdbCursor } from '../../src/rdb/rdb-cursor.js';
import { RdbFormatError, RdbSourceError, RdbUnsupportedError } from '../../src/rdb/rdb-errors.js';
import { type RdbKey, type RdbRecord, readRdbHeader, walkRdb } from '../../src/rdb/walk-rdb.js';
import { crc64 } from '../../src/struct/crc64.js';
import { f64le, intStr, keyRecord, len, listpack, lzfStr, memorySource, rdbFile, str, u64le } from '../helpers/rdb-builder.js';

const cursor = (bytes: Buffer) => new RdbCursor(bytes, 0, 0, true);

async function walk(data: Buffer, chunk?: number, opts = {}): Promise<RdbRecord[]> {
  const out: RdbRecord[] = [];
  for await (const r of walkRdb(memorySource(data, chunk), opts)) out.push(r);
  return out;
}

const keys = (records: RdbRecord[]) => records.filter((r): r is RdbKey => r.kind === 'key');

/** Runs the walk and returns the error it ends with (failing the test if it ends cleanly). */
async function walkError(data: Buffer, opts = {}): Promise<Error> {
  try {
    await walk(data, 7, opts);
  } catch (err) {
    return err as Error;
  }
  assert.fail('the walk ended without an error');
}

describe('RDB cursor primitives', () => {
  it('reads 6, 14, 32 and 64-bit lengths', () => {
    for (const n of [0, 63, 64, 16383, 16384, 2 ** 32 - 1, 2 ** 40 + 5]) assert.equal(cursor(len(n)).length(), n);
    assert.equal(cursor(len(5, true)).length(), 5);
    assert.equal(cursor(len(2n ** 64n - 1n)).lengthBig(), 2n ** 64n - 1n);
    assert.throws(() => cursor(len(2n ** 60n)).length(), RdbFormatError);
  });

  it('decodes integer strings as decimal text and LZF strings in full', () => {
    assert.equal(cursor(intStr(-7, 8)).string().toString(), '-7');
    assert.equal(cursor(intStr(-32768, 16)).string().toString(), '-32768');
    assert.equal(cursor(intStr(2147483647, 32)).string().toString(), '2147483647');
    const text = 'abcabcabcabc the same words, the same words, the same words '.repeat(50);
    assert.equal(cursor(lzfStr(text)).string().toString(), text);
    const c = cursor(Buffer.concat([lzfStr(text), str('next')]));
    c.skipString();
    assert.equal(c.string().toString(), 'next');
  });

  it('rejects LZF data that does not decompress to the announced size', () => {
    const good = lzfStr('hello hello hello hello hello hello');
    const wrongSize = Buffer.from(good);
    wrongSize[2] = (wrongSize[2] ?? 0) + 1; // the uncompressed length, one too many
    assert.throws(
      () => cursor(wrongSize).string(),
      (err: RdbFormatError) => err instanceof RdbFormatError && err.offset >= 0,
    );
    assert.throws(() => lzfDecompress(Buffer.from([0x1f, 1, 2]), 32), /overruns the input/);
    assert.throws(() => lzfDecompress(Buffer.from([0x00, 65, 0x20, 0x05]), 4), /before the start/);
  });

  it('reads text doubles (inf, -inf, nan) and binary doubles', () => {
    assert.equal(cursor(Buffer.from([254])).textDouble(), Number.POSITIVE_INFINITY);
    assert.equal(cursor(Buffer.from([255])).textDouble(), Number.NEGATIVE_INFINITY);
    assert.ok(Number.isNaN(cursor(Buffer.from([253])).textDouble()));
    assert.equal(cursor(str('-2.25')).textDouble(), -2.25);
    assert.throws(() => cursor(str('x1')).textDouble(), RdbFormatError);
    assert.equal(cursor(f64le(0.1)).binaryDouble(), 0.1);
  });

  it('reads ms times (signed 64-bit LE) and s times', () => {
    assert.equal(cursor(u64le(1_796_332_794_397)).msTime(), 1_796_332_794_397);
    assert.equal(cursor(u64le(-1)).msTime(), -1);
  });
});

/** A file with one of each record the walker handles besides 7.4 types: db switches, expiries, aux, functions. */
function mixedFile(): Buffer {
  return rdbFile(10, [
    Buffer.concat([Buffer.from([250]), str('redis-ver'), str('7.0.15')]),
    Buffer.concat([Buffer.from([245]), str("#!lua name=lib\nredis.register_function('f', function() return 1 end)")]),
    Buffer.concat([Buffer.from([254]), len(0), Buffer.from([251]), len(3), len(1)]),
    keyRecord(0, 'a', str('1')),
    keyRecord(0, 'b', lzfStr('b'.repeat(500)), 1_800_000_000_000),
    Buffer.concat([Buffer.from([248]), len(77), Buffer.from([249, 5]), keyRecord(1, 'c', Buffer.concat([len(2), str('x'), intStr(5, 8)]))]),
    Buffer.concat([Buffer.from([253]), Buffer.from([0x00, 0x5e, 0xd0, 0x62]), keyRecord(0, 'd', str('seconds'))]),
    Buffer.concat([Buffer.from([254]), len(5), Buffer.from([244]), len(100), len(1), len(0)]),
    keyRecord(3, 'z', Buffer.concat([len(1), str('m'), Buffer.from([254])])),
    keyRecord(0, Buffer.from([0xff, 0x00]), str('')),
  ]);
}

describe('RDB walker', () => {
  it('walks every record kind, with dbs, expiries (ms and s) and functions, whatever the chunk size', async () => {
    const data = mixedFile();
    const whole = await walk(data, 1 << 20);
    const ks = keys(whole);
    assert.deepEqual(
      ks.map((k) => [k.db, k.key.toString('latin1'), k.type, k.expireAtMs]),
      [
        [0, 'a', 0, null],
        [0, 'b', 0, 1_800_000_000_000],
        [0, 'c', 1, null],
        [0, 'd', 0, 0x62d05e00 * 1000],
        [5, 'z', 3, null],
        [5, '\xff\x00', 0, null],
      ],
    );
    assert.equal(whole[0]?.kind, 'function');
    for (const chunk of [1, 2, 3, 7, 64]) {
      const small = await walk(data, chunk);
      assert.deepEqual(
        small.map((r) => [r.kind, r.start, r.end]),
        whole.map((r) => [r.kind, r.start, r.end]),
        `chunk ${chunk}`,
      );
      assert.ok(keys(small).every((k, i) => k.object.equals(ks[i]!.object) && k.key.equals(ks[i]!.key)));
    }
    // Records tile the body: each key's end is the next record's start, the object its last bytes.
    for (const k of ks) assert.ok(data.subarray(k.end - k.object.length, k.end).equals(k.object));
  });

  it('reads the header: version, AUX fields, body offset', async () => {
    const header = await readRdbHeader(memorySource(mixedFile(), 3));
    assert.equal(header.version, 10);
    assert.equal(header.aux.get('redis-ver')?.toString(), '7.0.15');
    assert.equal(header.bodyOffset, 9 + 1 + str('redis-ver').length + str('7.0.15').length);
  });

  it('resumes from a record boundary with the db given, and stops before `to`', async () => {
    const data = mixedFile();
    const ks = keys(await walk(data));
    const rest = keys(await walk(data, 5, { from: { offset: ks[4]!.start, db: 5 } }));
    assert.deepEqual(
      rest.map((k) => k.key.toString('latin1')),
      ['z', '\xff\x00'],
    );
    assert.ok(rest.every((k) => k.db === 5));
    const head = keys(await walk(data, 5, { to: ks[2]!.start }));
    assert.deepEqual(
      head.map((k) => k.key.toString()),
      ['a', 'b'],
    );
  });

  it('reads a record much larger than its window at O(size) cost: every byte streamed once', async () => {
    const members = Array.from({ length: 20_000 }, (_, i) => str(`member-${i}-${'q'.repeat(i % 90)}`));
    const big = keyRecord(2, 'big', Buffer.concat([len(members.length), ...members]));
    const data = rdbFile(10, [Buffer.from([254, 0]), keyRecord(0, 'before', str('x')), big, keyRecord(0, 'after', str('y'))]);
    const source = memorySource(data, 4096);
    const out = [];
    for await (const r of walkRdb(source)) out.push(r);
    assert.deepEqual(
      keys(out).map((k) => k.key.toString()),
      ['before', 'big', 'after'],
    );
    assert.equal(keys(out)[1]!.object.length, big.length - 1 - str('big').length);
    // The header read (one 64 KiB window), then every byte once: no re-reads while the window grows.
    assert.ok(source.streamed <= data.length + (64 << 10) + 4096, `streamed ${source.streamed} of ${data.length}`);
  });

  it('verifies the CRC-64, accepts 0 as "no checksum", and files before version 5 have none', async () => {
    const data = mixedFile();
    const bad = Buffer.from(data);
    bad[data.length - 3]! ^= 0x01;
    const err = await walkError(bad);
    assert.ok(err instanceof RdbFormatError && /CRC-64/.test(err.message) && err.offset === data.length - 8);
    assert.equal(keys(await walk(rdbFile(10, [keyRecord(0, 'k', str('v'))], { checksum: false }))).length, 1);
    assert.equal(keys(await walk(rdbFile(4, [keyRecord(0, 'k', str('v'))]))).length, 1);
    // Opting out (or walking a range) skips the check.
    assert.equal(keys(await walk(bad, 64, { verifyChecksum: false })).length, 6);
  });

  it('refuses a newer RDB version, naming it, and a file that is not RDB', async () => {
    const newer = Buffer.from(rdbFile(10, []));
    newer.write('0013', 5);
    const err = await walkError(newer);
    assert.ok(err instanceof RdbUnsupportedError && /version 13/.test(err.message), err.message);
    const notRdb = await walkError(Buffer.from('*1\r\n$4\r\nPING\r\n'));
    assert.ok(notRdb instanceof RdbFormatError && /not a Redis RDB file/.test(notRdb.message));
  });

  it('reports an unknown opcode or type with its offset and the byte found', async () => {
    const unknownType = rdbFile(10, [keyRecord(0, 'a', str('1')), Buffer.from([8]), str('k')]);
    const err = await walkError(unknownType);
    assert.ok(err instanceof RdbFormatError && /type 8\b/.test(err.message) && err.offset === 9 + 5, err.message);
    const afterExpiry = rdbFile(10, [Buffer.from([252]), u64le(1), Buffer.from([254]), len(0)]);
    const err2 = await walkError(afterExpiry);
    assert.ok(err2 instanceof RdbFormatError && /opcode 254/.test(err2.message) && err2.offset === 18, err2.message);
  });

  it('reports a truncated file as ending early, with an offset, at every cut', async () => {
    const data = mixedFile();
    for (let cut = 9; cut < data.length; cut++) {
      const err = await walkError(data.subarray(0, cut));
      assert.ok(err instanceof RdbFormatError, `cut at ${cut}: ${err}`);
      assert.match(err.message, /ends early/);
      assert.ok(err.offset <= cut, `cut at ${cut}: offset ${err.offset}`);
    }
  });

  it('turns any flipped byte into an RDB error (the checksum catches what the layout cannot), never a hang', async () => {
    const data = mixedFile();
    for (let i = 0; i < data.length; i++) {
      const bad = Buffer.from(data);
      bad[i]! ^= 0xa5;
      const err = await walkError(bad);
      assert.ok(err instanceof RdbFormatError || err instanceof RdbUnsupportedError, `byte ${i}: ${err}`);
      assert.ok(Number.isInteger(err.offset) && err.offset >= 0 && err.offset <= data.length);
    }
  });
});

describe('fileByteSource', () => {
  it('says in one line which file cannot be read and why', async () => {
    const missing = fileByteSource('/nonexistent/dir/backup.rdb');
    await assert.rejects(missing.size(), (err: RdbSourceError) => {
      assert.ok(err instanceof RdbSourceError);
      assert.match(err.message, /cannot read the RDB file \/nonexistent\/dir\/backup\.rdb: no such file/);
      return true;
    });
    await assert.rejects(walk(Buffer.alloc(0)), (err: RdbFormatError) => err instanceof RdbFormatError && /ends early/.test(err.message));
    await assert.rejects(fileByteSource(tmpdir()).size(), /it is a directory/);
  });
});

describe('restorePayload', () => {
  it('is type byte, object, version (2 bytes LE) and CRC-64 (8 bytes LE)', () => {
    const payload = restorePayload(0, str('hello'), 10);
    assert.deepEqual([...payload.subarray(0, 7)], [0, 5, ...Buffer.from('hello')]);
    assert.equal(payload.readUInt16LE(7), 10);
    assert.equal(payload.readBigUInt64LE(9), crc64(payload.subarray(0, 9)));
  });
});

export { listpack };
