import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc64 } from '../../src/struct/crc64.js';

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
});
