import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noFilter } from '../../src/core/config.js';
import { createKeyFilter } from '../../src/core/key-filter.js';

const none = noFilter();
const b = (s: string) => Buffer.from(s);

describe('Function: createKeyFilter', () => {
  it('passes everything when no rule is set', () => {
    const filter = createKeyFilter(none);
    assert.equal(filter.passesAll, true);
    assert.equal(filter.allowsKey(Buffer.from([0xff, 0x00])), true);
    assert.equal(filter.allowsDb(9), true);
  });

  it('blocks win over allows, as in redis-shake', () => {
    const filter = createKeyFilter({ ...none, allowKeyPrefix: ['user:'], blockKeySuffix: [':tmp'] });
    assert.equal(filter.allowsKey(b('user:1')), true);
    assert.equal(filter.allowsKey(b('user:1:tmp')), false);
    assert.equal(filter.allowsKey(b('order:1')), false);
  });

  it('compares prefixes and suffixes as bytes, so binary keys work', () => {
    const filter = createKeyFilter({ ...none, blockKeyPrefix: ['\u00ff'] });
    assert.equal(filter.allowsKey(Buffer.from([0xc3, 0xbf, 0x01])), false, 'UTF-8 of ÿ is c3 bf');
    assert.equal(filter.allowsKey(Buffer.from([0xff, 0x01])), true);
  });

  it('supports regexes and db allow/block lists', () => {
    const filter = createKeyFilter({ ...none, allowKeyRegex: [':\\d{3}$'], allowDb: [0, 1], blockDb: [1] });
    assert.equal(filter.allowsKey(b('a:123')), true);
    assert.equal(filter.allowsKey(b('a:12')), false);
    assert.equal(filter.allowsDb(0), true);
    assert.equal(filter.allowsDb(1), false);
    assert.equal(filter.allowsDb(2), false);
  });
});
