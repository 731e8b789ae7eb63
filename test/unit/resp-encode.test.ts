import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommands } from '../../src/redis/resp-encode.js';

describe('Function: encodeCommands', () => {
  it('encodes strings, numbers and raw bytes as RESP arrays of bulk strings', () => {
    const out = encodeCommands([['SET', Buffer.from([0xff, 0x00, 0x0d, 0x0a]), ''], ['PEXPIRE', 'k', 1500]]);
    const expected = Buffer.concat([
      Buffer.from('*3\r\n$3\r\nSET\r\n$4\r\n'),
      Buffer.from([0xff, 0x00, 0x0d, 0x0a]),
      Buffer.from('\r\n$0\r\n\r\n*3\r\n$7\r\nPEXPIRE\r\n$1\r\nk\r\n$4\r\n1500\r\n'),
    ]);
    assert.deepEqual(out, expected);
  });

  it('sizes multi-byte UTF-8 strings by bytes', () => {
    assert.equal(encodeCommands([['ключ']]).toString(), '*1\r\n$8\r\nключ\r\n');
  });
});
