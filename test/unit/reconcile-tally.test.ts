import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { type KeySource, newCheckpoint } from '../../src/core/contracts.js';
import { ReconcileTally } from '../../src/runner/reconcile-tally.js';

/** Three SCAN pages (cursors 5, 9, then 0 at the end), two keys each. */
function pagedSource(): KeySource {
  const pages: Record<string, { cursor: string; keys: Buffer[] }> = {
    '0': { cursor: '5', keys: [Buffer.from('a1'), Buffer.from('a2')] },
    '5': { cursor: '9', keys: [Buffer.from('b1'), Buffer.from('b2')] },
    '9': { cursor: '0', keys: [Buffer.from('c1'), Buffer.from('c2')] },
  };
  return { scan: async (cursor) => pages[cursor]!, read: async () => ({ records: [], gone: 0 }) };
}

describe('Class: ReconcileTally', () => {
  it("counts every confirmed batch's outcomes once, also when one save confirms several batches", async () => {
    // Prepare: the copy loop scans three pages and writes them; its saves for the first two merged into one.
    const tally = new ReconcileTally();
    const source = tally.source(pagedSource());
    const start = { ...newCheckpoint('u'), status: 'running' as const };
    const store = tally.store(new MemoryCheckpointStore(), start);
    const a = await source.scan('0');
    const b = await source.scan('5');
    const c = await source.scan('9');
    for (const key of [...a.keys, ...b.keys]) tally.record(key, key.toString().endsWith('1') ? 'different' : 'unchanged');
    // Act: one save at the second batch's end, then the third batch and the last save.
    const middle = await store.saveUnit({ ...start, cursor: '9' });
    for (const key of c.keys) tally.record(key, 'missing');
    const last = await store.saveUnit({ ...middle, cursor: '0', status: 'done' });
    // Assess
    assert.deepEqual(
      [middle.reconcile?.compared, middle.reconcile?.different, middle.reconcile?.unchanged, middle.reconcile?.missing],
      [4, 2, 2, 0],
      'both batches the merged save confirms',
    );
    assert.deepEqual([last.reconcile?.compared, last.reconcile?.missing], [6, 2]);
  });
});
