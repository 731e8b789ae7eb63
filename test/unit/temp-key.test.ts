import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keySlot } from '../../src/redis/key-slot.js';
import { slotTag } from '../../src/struct/slot-tag.js';
import { DEFAULT_TEMP_PREFIX, isTempKey, tempKeyFor } from '../../src/struct/temp-key.js';

describe('Function: slotTag', () => {
  it('gives, for every slot, a brace-free tag that hashes to it', () => {
    for (let slot = 0; slot < 16384; slot++) {
      const tag = slotTag(slot);
      assert.match(tag, /^[A-Za-z0-9]{1,4}$/);
      assert.equal(keySlot(Buffer.from(tag)), slot, `tag ${tag}`);
    }
  });

  it('rejects slots outside 0-16383', () => {
    assert.throws(() => slotTag(16384), RangeError);
    assert.throws(() => slotTag(-1), RangeError);
  });
});

describe('Function: tempKeyFor', () => {
  const awkward = [
    Buffer.from('user:1000'),
    Buffer.from('{user:1000}:profile'), // its own hash tag
    Buffer.from('a}b{c'), // braces that do not form a tag
    Buffer.from('x{}y{z}'), // empty first tag: the whole key is hashed
    Buffer.from([0xff, 0x00, 0x7b, 0x7d, 0x80]), // binary, with "{}" inside
    Buffer.alloc(0),
  ];

  it('names a key in the same hash slot as the key, whatever the key bytes (RENAME works on a cluster)', () => {
    for (const key of awkward) assert.equal(keySlot(tempKeyFor(key)), keySlot(key), `key ${key.toString('hex')}`);
  });

  it('uses a new name for every attempt, under the prefix', () => {
    const key = Buffer.from('k');
    const a = tempKeyFor(key);
    const b = tempKeyFor(key);
    assert.notDeepEqual(a, b);
    assert.ok(isTempKey(a) && isTempKey(b));
    assert.ok(a.toString().startsWith(DEFAULT_TEMP_PREFIX));
    assert.equal(isTempKey(key), false);
  });

  it('refuses a prefix with braces, which would change the slot', () => {
    assert.throws(() => tempKeyFor(Buffer.from('k'), 'tmp{x}:'), RangeError);
  });
});
