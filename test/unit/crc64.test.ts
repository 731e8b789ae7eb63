import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc64, writeCrc64 } from '../../src/struct/crc64.js';

describe('Function: crc64', () => {
  it('gives the CRC-64/Jones check value Redis tests against (crc64.c)', () => {
    assert.equal(crc64(Buffer.from('123456789')), 0xe9c6d914c4b8d9can);
  });

  it('is 0 for no bytes, and continues from a previous value', () => {
    // Prepare
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    // Act
    const whole = crc64(data);
    const split = crc64(data.subarray(10), crc64(data.subarray(0, 10)));
    // Assess
    assert.equal(crc64(Buffer.alloc(0)), 0n);
    assert.equal(split, whole);
  });

  it('matches the checksum redis-server 7.0 put in a DUMP payload', () => {
    // DUMP of the string "hello": value, RDB version 10 (LE), CRC-64 (LE) over everything before it.
    const payload = Buffer.from('000568656c6c6f0a006372df766534200a', 'hex');
    assert.equal(crc64(payload.subarray(0, payload.length - 8)), payload.readBigUInt64LE(payload.length - 8));
  });

  it('writes the same checksum little-endian for payloads of every length mod 8, whatever came before', () => {
    // Prepare: lengths 0..40 cover the 8-byte steps and every tail; a long input first leaves state behind.
    const data = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 151 + 7) & 0xff));
    crc64(Buffer.alloc(1000, 0xab), 0x1234n);
    for (let length = 0; length <= data.length; length++) {
      const out = Buffer.alloc(10, 0xee);
      // Act
      writeCrc64(data.subarray(0, length), out, 1);
      // Assess
      assert.equal(out.readBigUInt64LE(1), crc64(data.subarray(0, length)), `length ${length}`);
      assert.equal(out[0], 0xee);
      assert.equal(out[9], 0xee);
    }
  });
});
