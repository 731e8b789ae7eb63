import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadResult } from '../../src/core/contracts.js';
import { covers, WriteFrontier } from '../../src/core/copy/write-frontier.js';
import { fakeCursor } from './fakes.js';

const c = fakeCursor;
const nothing: ReadResult = { records: [], gone: 3 };
const records: ReadResult = { records: [{ key: Buffer.from('k'), payload: Buffer.from('v'), pttlMs: 0, readAtMs: 0 }], gone: 0 };
const bigOnly: ReadResult = { records: [], gone: 0, big: [{ key: Buffer.from('k'), bytes: 1 }] };
const parted: ReadResult = { records: [], gone: 0, rest: async () => records };

describe('Class: WriteFrontier', () => {
  it('treats the batches that start before the inherited frontier as rewrites', () => {
    const frontier = new WriteFrontier(true, c(5));
    assert.deepEqual(
      ['0', c(4), c(5), c(6)].map((from) => frontier.rewrites(from)),
      [true, true, false, false],
    );
    assert.equal(new WriteFrontier(true, null).rewrites('0'), false, 'nothing inherited');
    assert.equal(new WriteFrontier(true, '0').rewrites(c(1000)), true, "'0' is the end of the walk (a restarted scan)");
  });

  it('makes a batch wait for the stored frontier only when it writes keys, is no rewrite and is not covered yet', () => {
    const frontier = new WriteFrontier(true, null);
    assert.equal(frontier.mustCover(null, c(2), records, false), true);
    assert.equal(frontier.mustCover(c(1), c(2), bigOnly, false), true);
    assert.equal(frontier.mustCover(c(1), c(2), parted, false), true);
    assert.equal(frontier.mustCover(c(3), c(2), records, false), false, 'covered');
    assert.equal(frontier.mustCover(null, c(2), nothing, false), false, 'writes nothing');
    assert.equal(frontier.mustCover(null, c(2), records, true), false, 'a rewrite uses REPLACE');
    assert.equal(new WriteFrontier(false, null).mustCover(null, c(2), records, false), false, 'not kept');
  });

  it('after a confirmed batch stores the furthest read, never moving back, and none once done or not kept', () => {
    const frontier = new WriteFrontier(true, null);
    assert.equal(frontier.afterConfirmed(c(3), c(5), false), c(5));
    assert.equal(frontier.afterConfirmed(c(7), c(5), false), c(7));
    assert.equal(frontier.afterConfirmed(null, c(5), false), c(5));
    assert.equal(frontier.afterConfirmed(c(7), '0', true), null);
    assert.equal(new WriteFrontier(false, null).afterConfirmed(c(3), c(5), false), null);
  });

  it("on a clean stop keeps the inherited frontier until it is passed, and clears this attempt's", () => {
    const frontier = new WriteFrontier(true, c(5));
    assert.equal(frontier.atStop(c(3)), c(5));
    assert.equal(frontier.atStop(c(5)), null);
    assert.equal(new WriteFrontier(true, null).atStop(c(3)), null);
  });
});

describe('Function: covers', () => {
  it('compares cursors by scan position, with the end of the walk covering everything', () => {
    assert.equal(covers(c(5), c(4)), true);
    assert.equal(covers(c(5), c(5)), true);
    assert.equal(covers(c(5), c(6)), false);
    assert.equal(covers(c(5), '0'), false, "a batch ending at '0' ends the walk");
    assert.equal(covers('0', '0'), true);
    assert.equal(covers(null, c(1)), false);
  });

  it('compares cursors in the order the source gives (an RDB source: byte offsets, not SCAN cursors)', () => {
    const offsets = (cursor: string, atEnd = false) => (cursor === '0' ? (atEnd ? 1n << 62n : 0n) : BigInt(cursor));
    const frontier = new WriteFrontier(true, '5000', offsets);
    assert.deepEqual(
      ['0', '4999', '5000', '6000'].map((from) => frontier.rewrites(from)),
      [true, true, false, false],
    );
    assert.equal(frontier.covers('5000', '4000'), true);
    assert.equal(frontier.covers('5000', '6000'), false);
    assert.equal(frontier.covers('5000', '0'), false, "'0' as a batch's end is the end of the range");
    assert.equal(frontier.afterConfirmed('7000', '6000', false), '7000', 'never moves back');
    assert.equal(frontier.atStop('4000'), '5000', 'keeps the inherited frontier until passed');
  });
});
