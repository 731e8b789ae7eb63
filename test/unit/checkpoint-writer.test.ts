import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { newCheckpoint, type UnitCheckpoint } from '../../src/core/contracts.js';
import { CheckpointWriter } from '../../src/core/copy/checkpoint-writer.js';
import { CheckpointConflictError } from '../../src/core/errors.js';

/** A memory store whose n-th save (counting from 1) fails with `error`. */
function failingStore(n: number, error: Error): MemoryCheckpointStore {
  const store = new MemoryCheckpointStore();
  const save = store.saveUnit.bind(store);
  let saves = 0;
  store.saveUnit = async (checkpoint) => {
    if (++saves === n) throw error;
    return save(checkpoint);
  };
  return store;
}

const counters = (copied: number) => ({ ...newCheckpoint('u').counters, copied });

describe('Class: CheckpointWriter', () => {
  it('stores saves in the order queued, each patch applied to the last one stored', async () => {
    const store = new MemoryCheckpointStore();
    const saved: UnitCheckpoint[] = [];
    const writer = new CheckpointWriter(store, newCheckpoint('u'), (cp) => saved.push(cp));
    await writer.save({ cursor: '10', counters: counters(10) });
    await writer.save({ writeFrontier: '30' });
    await writer.save({ cursor: '20', counters: counters(20) });
    assert.deepEqual(
      saved.map((cp) => [cp.version, cp.cursor, cp.writeFrontier, cp.counters.copied]),
      [
        [1, '10', null, 10],
        [2, '10', '30', 10],
        [3, '20', '30', 20],
      ],
    );
    assert.deepEqual(writer.current, await store.loadUnit('u'));
  });

  it('merges the saves asked for while one is in flight into one write, later fields winning', async () => {
    // Prepare
    const store = new MemoryCheckpointStore();
    const saved: UnitCheckpoint[] = [];
    const writer = new CheckpointWriter(store, newCheckpoint('u'), (cp) => saved.push(cp));
    // Act: the first save starts at once; the next three wait behind it and merge.
    const first = writer.save({ cursor: '10', counters: counters(10) });
    const second = writer.save({ writeFrontier: '30' });
    const third = writer.save({ cursor: '20', counters: counters(20) });
    const fourth = writer.save({ cursor: '25' });
    assert.equal(writer.current.version, 0, 'nothing stored before the saves run');
    await Promise.all([first, second, third, fourth]);
    // Assess
    assert.deepEqual(
      saved.map((cp) => [cp.version, cp.cursor, cp.writeFrontier, cp.counters.copied]),
      [
        [1, '10', null, 10],
        [2, '25', '30', 20],
      ],
    );
    assert.deepEqual(writer.current, await store.loadUnit('u'));
  });

  it('after a failed save skips the ones queued behind it, and reports the error', async () => {
    const writer = new CheckpointWriter(failingStore(2, new Error('disk full')), newCheckpoint('u'));
    void writer.save({ cursor: '10' });
    void writer.save({ cursor: '20' });
    void writer.save({ cursor: '30' });
    await assert.rejects(writer.settled(), /disk full/);
    assert.throws(() => writer.throwIfFailed(), /disk full/);
    assert.equal(writer.current.cursor, '10');
  });

  it('records why the unit failed, also after a failed save, keeping the last cursor stored', async () => {
    const store = failingStore(2, new Error('disk full'));
    const writer = new CheckpointWriter(store, newCheckpoint('u'));
    void writer.save({ cursor: '10' });
    void writer.save({ cursor: '20' });
    await writer.recordFailure(new Error('target out of memory'));
    const stored = await store.loadUnit('u');
    assert.deepEqual([stored?.status, stored?.error, stored?.cursor], ['failed', 'target out of memory', '10']);
  });

  it('records nothing when the unit failed on a checkpoint conflict: another worker owns it now', async () => {
    const store = new MemoryCheckpointStore();
    const writer = new CheckpointWriter(store, newCheckpoint('u'));
    await writer.save({ cursor: '10' });
    await writer.recordFailure(new CheckpointConflictError('advanced by another worker'));
    assert.deepEqual([(await store.loadUnit('u'))?.status, writer.current.version], ['pending', 1]);
  });

  it('records nothing when a save lost the race while the unit failed for another reason', async () => {
    const store = failingStore(2, new CheckpointConflictError('advanced by another worker'));
    const writer = new CheckpointWriter(store, newCheckpoint('u'));
    void writer.save({ cursor: '10' });
    void writer.save({ cursor: '20' });
    await writer.recordFailure(new Error('target down'));
    assert.deepEqual([(await store.loadUnit('u'))?.status, (await store.loadUnit('u'))?.cursor], ['pending', '10']);
  });
});
