import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MigrationError } from '../../src/core/errors.js';
import { hashListpackExEntries } from '../../src/rdb/encodings/hash-listpack-ex.js';
import { intsetMembers } from '../../src/rdb/encodings/intset.js';
import { listpackEntries } from '../../src/rdb/encodings/listpack.js';
import { streamListpackEntries } from '../../src/rdb/encodings/stream-listpack.js';
import { ziplistEntries } from '../../src/rdb/encodings/ziplist.js';
import { zipmapPairs } from '../../src/rdb/encodings/zipmap.js';
import { RdbFormatError } from '../../src/rdb/rdb-errors.js';
import { DumpCursor, dumpBlob, dumpQuicklistNodes, dumpStreamNodes } from '../helpers/dump-blobs.js';
import { blobAfterKey } from '../helpers/rdb-asset-scan.js';

/** The DUMP payload of `key` in a fixture (test/fixtures/rdb/README.md): real blobs to break. */
function fixtureDump(fixture: string, key: string): Buffer {
  const { keys } = JSON.parse(readFileSync(new URL(`../fixtures/rdb/${fixture}.json`, import.meta.url), 'utf8')) as {
    keys: { key: string; dump: string }[];
  };
  const found = keys.find((k) => Buffer.from(k.key, 'base64').toString('latin1') === key);
  if (!found) throw new Error(`${fixture} has no key ${key}`);
  return Buffer.from(found.dump, 'base64');
}

function expectFormatError(decode: () => unknown, message: string, offset: number): void {
  assert.throws(decode, (err: unknown) => {
    assert.ok(err instanceof RdbFormatError && err instanceof MigrationError);
    assert.equal(err.name, 'RdbFormatError');
    assert.equal(err.message, message);
    assert.equal(err.offset, offset);
    return true;
  });
}

/**
 * Every truncation of `blob` throws RdbFormatError; every variant with one byte overwritten by a value
 * that starts an encoding class either decodes or throws RdbFormatError: never another error (a read
 * past the end would be a RangeError), never a hang; and the checks bite: more variants are rejected
 * than the blob has bytes (most corrupt length and encoding bytes are caught, not just the header).
 */
function assertOnlyFormatErrors(decode: (blob: Buffer) => unknown, blob: Buffer): void {
  for (let n = 0; n < blob.length; n++) assert.throws(() => decode(blob.subarray(0, n)), RdbFormatError, `cut at ${n}`);
  let rejected = 0;
  const bytes = [0x00, 0x01, 0x3f, 0x7f, 0x80, 0xbf, 0xc0, 0xdf, 0xe0, 0xef, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xfe, 0xff];
  for (let p = 0; p < blob.length; p++) {
    for (const byte of bytes) {
      const variant = Buffer.from(blob);
      variant[p] = byte;
      try {
        decode(variant);
      } catch (err) {
        if (!(err instanceof RdbFormatError)) throw new Error(`byte ${p} set to ${byte}: ${String(err)}`, { cause: err });
        rejected++;
      }
    }
  }
  assert.ok(rejected > blob.length, `only ${rejected} of ${blob.length * bytes.length} corrupt variants rejected`);
}

/** A listpack of 7-bit integers and short strings (< 64 bytes): enough to shape stream nodes by hand. */
function listpack(items: (number | string)[]): Buffer {
  const entries = items.map((item) => {
    if (typeof item === 'number') return Buffer.from([item, 1]);
    const s = Buffer.from(item);
    return Buffer.concat([Buffer.from([0x80 | s.length]), s, Buffer.from([1 + s.length])]);
  });
  const body = Buffer.concat(entries);
  const header = Buffer.alloc(6);
  header.writeUInt32LE(6 + body.length + 1, 0);
  header.writeUInt16LE(items.length, 4);
  return Buffer.concat([header, body, Buffer.from([0xff])]);
}

describe('RDB encodings: corrupt and truncated blobs', () => {
  const hash74 = dumpBlob(fixtureDump('redis-7.4', 'db2:hash'));

  it('RdbFormatError is a named MigrationError that carries the offset and the cause', () => {
    const cause = new Error('inner');
    const err = new RdbFormatError('listpack entry at byte 37: unknown encoding byte 0xf5', 37, { cause });
    assert.ok(err instanceof MigrationError);
    assert.equal(err.name, 'RdbFormatError');
    assert.equal(err.offset, 37);
    assert.equal(err.cause, cause);
    assert.equal(err.retryable, false);
  });

  it('listpack: an unknown encoding byte, a wrong back-length, size and count that do not match', () => {
    assert.deepEqual(listpackEntries(hash74).map(String), ['field', 'value']);
    const unknown = Buffer.from(hash74);
    unknown[6] = 0xf5;
    expectFormatError(() => listpackEntries(unknown), 'listpack entry at byte 6: unknown encoding byte 0xf5', 6);
    const backlen = Buffer.from(hash74);
    backlen[12] = 5;
    expectFormatError(() => listpackEntries(backlen), "listpack entry back-length at byte 12: expected 6 (the entry's size), found 5", 12);
    expectFormatError(
      () => listpackEntries(hash74.subarray(0, hash74.length - 1)),
      `listpack header at byte 0: states ${hash74.length} bytes, but the blob holds ${hash74.length - 1}`,
      0,
    );
    const count = Buffer.from(hash74);
    count[4] = 3;
    expectFormatError(() => listpackEntries(count), 'listpack header at byte 4: states 3 entries, but the blob holds 2', 4);
  });

  it('listpack: a header that agrees with a cut body still fails at the cut, inside the blob', () => {
    const big = dumpBlob(fixtureDump('redis-7.4', 'hash:compact'));
    const cut = Buffer.concat([big.subarray(0, 400), Buffer.from([0xff])]);
    cut.writeUInt32LE(cut.length, 0);
    assert.throws(
      () => listpackEntries(cut),
      (err: unknown) => err instanceof RdbFormatError && /needs \d+ bytes/.test(err.message),
    );
  });

  it('every listpack, listpack-ex and stream-node variant decodes or throws RdbFormatError', () => {
    assertOnlyFormatErrors(listpackEntries, dumpBlob(fixtureDump('redis-7.4', 'zset:compact')));
    const ex = new DumpCursor(fixtureDump('redis-7.4', 'hash:fieldttl'));
    ex.millisecondTime();
    assertOnlyFormatErrors(hashListpackExEntries, ex.string());
    for (const node of dumpStreamNodes(fixtureDump('redis-7.4', 'stream:events'))) {
      assertOnlyFormatErrors((blob) => streamListpackEntries(node.masterId, blob), node.blob);
    }
  });

  it('ziplist: previous-entry size, tail offset, encoding byte, and every variant', () => {
    const node = dumpQuicklistNodes(fixtureDump('redis-6.2', 'list:quicklist'))[0]!.blob;
    assert.equal(ziplistEntries(node).length, 5);
    const prevlen = Buffer.from(node);
    prevlen[10] = 1;
    expectFormatError(() => ziplistEntries(prevlen), 'ziplist entry at byte 10: states a previous entry of 1 bytes, but it has 0', 10);
    const tail = Buffer.from(node);
    tail.writeUInt32LE(10, 4);
    assert.throws(() => ziplistEntries(tail), /ziplist header at byte 4: states the last entry at byte 10, but it is at \d+/);
    const encoding = Buffer.from(node);
    encoding[11] = 0xc1;
    expectFormatError(() => ziplistEntries(encoding), 'ziplist entry at byte 11: unknown encoding byte 0xc1', 11);
    assertOnlyFormatErrors(ziplistEntries, dumpBlob(fixtureDump('redis-6.2', 'zset:compact')));
  });

  it('intset: width, size and order', () => {
    const blob = dumpBlob(fixtureDump('redis-6.2', 'set:intset64'));
    const width = Buffer.from(blob);
    width[0] = 3;
    expectFormatError(() => intsetMembers(width), 'intset header at byte 0: expected a member width of 2, 4 or 8 bytes, found 3', 0);
    expectFormatError(
      () => intsetMembers(blob.subarray(0, 20)),
      'intset header at byte 4: states 4 members of 8 bytes (40 bytes), but the blob holds 20',
      4,
    );
    const order = Buffer.from(blob);
    order.copy(order, 16, 8, 16); // member 1 := member 0
    expectFormatError(
      () => intsetMembers(order),
      'intset member at byte 16: expected a member above -9223372036854775808 (members ascend), found -9223372036854775808',
      16,
    );
    assertOnlyFormatErrors(intsetMembers, blob);
  });

  it('zipmap: count and every variant', () => {
    const blob = blobAfterKey(readFileSync(new URL('../fixtures/rdb/redis-assets-hash-zipmap.rdb', import.meta.url)), 9, 'hash');
    const count = Buffer.from(blob);
    count[0] = 3;
    expectFormatError(() => zipmapPairs(count), 'zipmap header at byte 0: states 3 pairs, but the blob holds 2', 0);
    assertOnlyFormatErrors(zipmapPairs, blob);
  });
});

describe('RDB encodings: the stream node layout', () => {
  const master = { ms: 100n, seq: 5n };
  // live 2, deleted 1, master fields temp + unit, 0; a same-fields entry, a deleted one, a new-fields one.
  const node = (overrides: { live?: number; flags3?: number; lpCount3?: number; extra?: (number | string)[] } = {}) =>
    listpack([
      ...[overrides.live ?? 2, 1, 2, 'temp', 'unit', 0],
      ...[2, 0, 0, '21', 'C', 5],
      ...[3, 0, 1, '22', 'C', 5],
      ...[overrides.flags3 ?? 0, 1, 0, 1, 'x', 'y', overrides.lpCount3 ?? 6],
      ...(overrides.extra ?? []),
    ]);

  it('adds the deltas to the master id, fills same-field entries from the master, skips deleted ones', () => {
    const entries = streamListpackEntries(master, node());
    assert.deepEqual(
      entries.map((e) => [`${e.id.ms}-${e.id.seq}`, e.fields.map(String)]),
      [
        ['100-5', ['temp', '21', 'unit', 'C']],
        ['101-5', ['x', 'y']],
      ],
    );
  });

  it('refuses a wrong lp-count, live count, unknown flags, and entries past the stated ones', () => {
    assert.throws(
      () => streamListpackEntries(master, node({ lpCount3: 7 })),
      /entry lp-count at byte \d+: expected 6 \(the entry at byte \d+\), found 7/,
    );
    assert.throws(
      () => streamListpackEntries(master, node({ live: 3 })),
      /stream listpack entry flags at byte \d+: expected an entry, found the end/,
    );
    assert.throws(() => streamListpackEntries(master, node({ flags3: 4 })), /stream listpack entry flags at byte \d+: unknown flags 4/);
    assert.throws(
      () => streamListpackEntries(master, node({ extra: [0, 0, 0, 0, 3] })),
      /stream listpack entry at byte \d+: found after the 3 entries the master entry states/,
    );
    const stringFlags = listpack([1, 0, 0, 0, 'x', 0, 0, 1]);
    expectFormatError(
      () => streamListpackEntries(master, stringFlags),
      'stream listpack entry flags at byte 14: expected an integer below 2^53, found a 1-byte string',
      14,
    );
  });
});
