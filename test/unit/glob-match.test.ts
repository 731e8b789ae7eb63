import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { globMatch } from '../../src/core/glob-match.js';

const m = (pattern: string, key: string | Buffer) =>
  globMatch(Buffer.from(pattern, 'latin1'), Buffer.isBuffer(key) ? key : Buffer.from(key, 'latin1'));

describe('Function: globMatch', () => {
  it('matches literals, ? and * as Redis does', () => {
    assert.equal(m('user:1', 'user:1'), true);
    assert.equal(m('user:1', 'user:10'), false);
    assert.equal(m('user:?', 'user:7'), true);
    assert.equal(m('user:?', 'user:'), false);
    assert.equal(m('*', ''), true);
    assert.equal(m('user:*', 'user:'), true);
    assert.equal(m('user:*:name', 'user:42:x:name'), true);
    assert.equal(m('*a*b*c', 'xxaxxbxxbxc'), true);
    assert.equal(m('*a*b*c', 'xxaxxbxx'), false);
  });

  it('reads classes, negated classes, ranges and escapes', () => {
    assert.equal(m('h[ae]llo', 'hello'), true);
    assert.equal(m('h[ae]llo', 'hillo'), false);
    assert.equal(m('h[^e]llo', 'hallo'), true);
    assert.equal(m('h[^e]llo', 'hello'), false);
    assert.equal(m('k[a-c]', 'kb'), true);
    assert.equal(m('k[c-a]', 'kb'), true);
    assert.equal(m('k[a-c]', 'kd'), false);
    assert.equal(m('a\\*b', 'a*b'), true);
    assert.equal(m('a\\*b', 'axb'), false);
    assert.equal(m('[\\]]', ']'), true);
  });

  it('compares bytes, so binary keys match exactly', () => {
    const key = Buffer.from([0xff, 0x00, 0x41]);
    assert.equal(globMatch(Buffer.from([0xff, 0x2a]), key), true);
    assert.equal(globMatch(Buffer.from([0xfe, 0x2a]), key), false);
    assert.equal(globMatch(Buffer.from([0x3f, 0x00, 0x3f]), key), true);
  });
});
