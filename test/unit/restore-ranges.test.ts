import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unitProgress } from '../../src/cli/progress-reporter.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import { parseRestoreConfig } from '../../src/core/restore-config.js';
import { rangeCount } from '../../src/runner/restore/plan-restore.js';
import { rdbCursorOrder } from '../../src/runner/restore/rdb-key-source.js';

const config = (extra: Record<string, unknown> = {}) =>
  parseRestoreConfig({ rdb: { uri: '/x.rdb' }, target: { addresses: ['127.0.0.1:6380'] }, ...extra });

describe('Restore ranges', () => {
  it('orders RDB cursors as byte offsets, with 0 the start or the end of the range', () => {
    assert.ok(rdbCursorOrder('0') < rdbCursorOrder('180'));
    assert.ok(rdbCursorOrder('180') < rdbCursorOrder('3146630'));
    assert.ok(rdbCursorOrder('0', true) > rdbCursorOrder('9007199254740000', true), "'0' returned is the end");
  });

  it('asks for one range per 64 MiB, at most the units run at once, and in one process one per 5 ms of round trip at most; --parallel wins', () => {
    const MiB = 1024 * 1024;
    // Ranges in workers of their own (the cloud): by size.
    assert.equal(rangeCount(config(), 10 * MiB), 1);
    assert.equal(rangeCount(config(), 130 * MiB), 3);
    assert.equal(rangeCount(config(), 10_000 * MiB), 4, 'the default concurrency');
    assert.equal(rangeCount(config({ concurrency: 0 }), 10_000 * MiB), 16);
    // In one process (the CLI): the round trip bounds them too.
    assert.equal(rangeCount(config(), 10_000 * MiB, 0.2), 1, 'a near target: one range');
    assert.equal(rangeCount(config(), 10_000 * MiB, 12), 3, 'three ranges cover 12 ms');
    assert.equal(rangeCount(config(), 130 * MiB, 40), 3, 'no range under 64 MiB');
    assert.equal(rangeCount(config(), 10_000 * MiB, 40), 4, 'the default concurrency');
    assert.equal(rangeCount(config({ parallel: 7 }), 10 * MiB, 0.2), 7);
  });

  it("shows a range unit's progress exactly, from the byte offset of its cursor", () => {
    const range = { from: 1000, to: 3000, keys: 10 };
    const at = (cursor: string, status: 'running' | 'done' = 'running') => unitProgress(range, { ...newCheckpoint('u'), cursor, status });
    assert.deepEqual([at('0'), at('2000'), at('3000'), at('0', 'done')], [0, 0.5, 1, 1]);
  });
});
