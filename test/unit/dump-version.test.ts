import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dumpRdbVersion, hasValidChecksum, isVersionRefusal, restampDumpVersion } from '../../src/struct/dump-version.js';

// Real DUMP payloads from redis-server 7.0.15 (RDB version 10): the string "hello" and a
// one-element list (quicklist of listpacks).
const STRING_PAYLOAD = Buffer.from('000568656c6c6f0a006372df766534200a', 'hex');
const LIST_PAYLOAD = Buffer.from('1201020a0a0000000100817802ff0a00d17b3fb85c03060e', 'hex');
const REFUSAL = 'ERR DUMP payload version or checksum are wrong';

describe('Function: dumpRdbVersion', () => {
  it('reads the 2-byte little-endian version before the checksum', () => {
    assert.equal(dumpRdbVersion(STRING_PAYLOAD), 10);
    assert.equal(dumpRdbVersion(LIST_PAYLOAD), 10);
  });

  it('refuses a buffer too short to be a payload', () => {
    assert.throws(() => dumpRdbVersion(Buffer.alloc(5)), RangeError);
  });
});

describe('Function: restampDumpVersion', () => {
  it('changes only the version and the checksum, and the checksum stays valid', () => {
    // Act
    const newer = restampDumpVersion(LIST_PAYLOAD, 11);
    // Assess
    assert.equal(dumpRdbVersion(newer), 11);
    assert.ok(hasValidChecksum(newer));
    assert.deepEqual(newer.subarray(0, -10), LIST_PAYLOAD.subarray(0, -10));
    assert.notDeepEqual(newer.subarray(-8), LIST_PAYLOAD.subarray(-8));
  });

  it('is the identity when stamped with the version the payload has', () => {
    assert.deepEqual(restampDumpVersion(STRING_PAYLOAD, 10), STRING_PAYLOAD);
  });

  it('does not modify its input', () => {
    const copy = Buffer.from(STRING_PAYLOAD);
    restampDumpVersion(copy, 12);
    assert.deepEqual(copy, STRING_PAYLOAD);
  });

  it('rejects versions that do not fit two bytes', () => {
    assert.throws(() => restampDumpVersion(STRING_PAYLOAD, 70000), RangeError);
  });
});

describe('Function: hasValidChecksum', () => {
  it('detects a flipped byte', () => {
    const corrupted = Buffer.from(STRING_PAYLOAD);
    corrupted[3]! ^= 0x01;
    assert.equal(hasValidChecksum(corrupted), false);
  });

  it('accepts an all-zero checksum, as Redis does', () => {
    const unchecked = Buffer.from(STRING_PAYLOAD);
    unchecked.fill(0, unchecked.length - 8);
    assert.ok(hasValidChecksum(unchecked));
  });
});

describe('Function: isVersionRefusal', () => {
  it('is true for the server reply to a payload with a valid checksum', () => {
    assert.ok(isVersionRefusal(REFUSAL, restampDumpVersion(STRING_PAYLOAD, 11)));
  });

  it('is false when the payload is corrupt (the same reply means a bad checksum then)', () => {
    const corrupted = Buffer.from(STRING_PAYLOAD);
    corrupted[2]! ^= 0xff;
    assert.equal(isVersionRefusal(REFUSAL, corrupted), false);
  });

  it('is false for other errors', () => {
    assert.equal(isVersionRefusal('BUSYKEY Target key name already exists.', STRING_PAYLOAD), false);
  });
});
