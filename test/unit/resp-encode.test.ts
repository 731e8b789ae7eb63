import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommands, encodeKeyCommands, encodeRestores } from '../../src/redis/resp-encode.js';

describe('Function: encodeCommands', () => {
  it('encodes strings, numbers and raw bytes as RESP arrays of bulk strings', () => {
    const out = encodeCommands([
      ['SET', Buffer.from([0xff, 0x00, 0x0d, 0x0a]), ''],
      ['PEXPIRE', 'k', 1500],
    ]);
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

  it('writes integers digit by digit, and other numbers as their text', () => {
    const numbers = [0, 9, 10, 99, 100, 123456789012, Number.MAX_SAFE_INTEGER, -1, 1.5];
    const expected = `*${numbers.length}\r\n${numbers.map((n) => `$${String(n).length}\r\n${n}\r\n`).join('')}`;
    assert.equal(encodeCommands([numbers]).toString(), expected);
  });

  it('encodes the repeated keywords and other strings alike', () => {
    const key = Buffer.from('k');
    const out = encodeCommands([
      ['RESTORE', key, 0, Buffer.alloc(0), 'REPLACE'],
      ['restore', 'pttl', 'PTTL'],
    ]);
    assert.equal(
      out.toString(),
      '*5\r\n$7\r\nRESTORE\r\n$1\r\nk\r\n$1\r\n0\r\n$0\r\n\r\n$7\r\nREPLACE\r\n*3\r\n$7\r\nrestore\r\n$4\r\npttl\r\n$4\r\nPTTL\r\n',
    );
  });

  it('encodes per-key reads exactly as the generic encoder would', () => {
    const keys = [Buffer.from('a'), Buffer.alloc(0), Buffer.from([0xff, 0x0d, 0x0a, 0x00]), Buffer.alloc(300, 7)];
    assert.deepEqual(
      encodeKeyCommands([['DUMP'], ['PTTL']], keys),
      encodeCommands(
        keys.flatMap((k) => [
          ['DUMP', k],
          ['PTTL', k],
        ]),
      ),
    );
    assert.deepEqual(encodeKeyCommands([['MEMORY', 'USAGE']], keys), encodeCommands(keys.map((k) => ['MEMORY', 'USAGE', k])));
  });

  it('encodes RESTOREs (with ASKING, REPLACE and a trailing WAIT) exactly as the generic encoder would', () => {
    const items = [
      { record: { key: Buffer.from('k1'), payload: Buffer.from([0, 1, 2, 13, 10]) }, ttl: 0 },
      { record: { key: Buffer.from([0xfe]), payload: Buffer.alloc(1000, 1) }, ttl: 86_400_000, asking: true },
    ];
    for (const replace of [false, true]) {
      const generic = items.flatMap(({ record, ttl, asking }) => [
        ...(asking ? [['ASKING']] : []),
        ['RESTORE', record.key, ttl, record.payload, ...(replace ? ['REPLACE'] : [])],
      ]);
      assert.deepEqual(encodeRestores(items, replace, [['WAIT', 1, 500]]), encodeCommands([...generic, ['WAIT', 1, 500]]));
    }
    assert.throws(() => encodeRestores([{ record: items[0]!.record, ttl: 1.5 }], false), /whole number/);
  });
});
