import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { newCheckpoint, type UnitCheckpoint, type UnitDescriptor } from '../../src/core/contracts.js';
import { copyUnit } from '../../src/core/copy-unit.js';
import { continueOn, restartAware } from '../../src/runner/unit-session.js';
import { FakeSink, FakeSource, keys, passAll } from './fakes.js';

const unit: UnitDescriptor = {
  id: 'slots-0-5460/db0',
  label: 'shard 0-5460 db0',
  sourceDb: 0,
  targetDb: 0,
  sourceAddress: '10.0.0.1:6379',
  slots: [[0, 5460]],
};
const nodeA = { address: '10.0.0.1:6379', identity: '10.0.0.1:6379 master run aaa', label: 'shard 0-5460 @ 10.0.0.1:6379 master' };
const nodeB = { address: '10.0.0.2:6379', identity: '10.0.0.2:6379 master run bbb', label: 'shard 0-5460 @ 10.0.0.2:6379 master' };
const stopAfter = (n: number) => {
  let batches = 0;
  return { onProgress: (cp: UnitCheckpoint) => (batches = cp.counters.batches), shouldStop: () => batches >= n };
};

describe('Function: continueOn (unit restart after a failover)', () => {
  it('keeps the cursor on the same node process, and records the node on a fresh unit', () => {
    const fresh = continueOn(newCheckpoint('u'), nodeA, unit, () => assert.fail('no note'));
    assert.equal(fresh.scanNode, nodeA.identity);
    const midway = { ...fresh, cursor: '1234', counters: { ...fresh.counters, batches: 3 } };
    assert.deepEqual(
      continueOn(midway, nodeA, unit, () => assert.fail('no note')),
      midway,
    );
  });

  it('restarts from cursor 0 with the restart marker when another process now serves the unit, and says why', () => {
    const notes: string[] = [];
    const midway: UnitCheckpoint = {
      ...newCheckpoint('u'),
      scanNode: nodeA.identity,
      cursor: '1234',
      writeFrontier: '5678',
      counters: { ...newCheckpoint('u').counters, batches: 3, copied: 300 },
    };
    const next = continueOn(midway, nodeB, unit, (m) => notes.push(m));
    assert.equal(next.cursor, '0');
    assert.equal(next.writeFrontier, '0', 'a frontier at the end of the walk: every batch is a rewrite');
    assert.equal(next.scanNode, nodeB.identity);
    assert.match(next.rescanReason ?? '', /from 10\.0\.0\.1:6379 master run aaa to 10\.0\.0\.2:6379 master run bbb/);
    assert.equal(next.counters.copied, 300, 'counters keep counting');
    assert.equal(notes.length, 1);
    assert.match(
      notes[0]!,
      /^unit slots-0-5460\/db0 \(shard 0-5460 db0\): the source node changed .*; restarting its scan on shard 0-5460 @ 10\.0\.0\.2:6379 master from cursor 0/,
    );
  });

  it('does not restart a unit that has not written anything yet, nor one from before node tracking', () => {
    const unstarted = { ...newCheckpoint('u'), scanNode: nodeA.identity };
    assert.equal(continueOn(unstarted, nodeB, unit, () => assert.fail('no note')).cursor, '0');
    const legacy = { ...newCheckpoint('u'), cursor: '1234', counters: { ...newCheckpoint('u').counters, batches: 3 } };
    assert.equal(continueOn(legacy, nodeB, unit, () => assert.fail('no note')).cursor, '1234');
  });

  it('with the fail policy, a restarted unit rewrites its own keys across a clean stop', async () => {
    // Prepare: half the unit copied from node A.
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    const source = new FakeSource(keys(100), 10);
    let cp = await copyUnit({
      source,
      sink,
      filter: passAll,
      policy: 'fail',
      store,
      checkpoint: continueOn(newCheckpoint('u'), nodeA, unit, () => {}),
      ...stopAfter(5),
    });
    assert.ok(sink.data.size >= 50 && sink.data.size < 100, `${sink.data.size} keys copied before the failover`);

    // Act: node B serves the unit now; the restarted scan is stopped cleanly once, then resumed.
    cp = continueOn(cp, nodeB, unit, () => {});
    cp = await copyUnit({
      source,
      sink: restartAware(sink, cp, 'fail'),
      filter: passAll,
      policy: 'fail',
      store,
      checkpoint: cp,
      ...stopAfter(cp.counters.batches + 2),
    });
    assert.notEqual(cp.cursor, '0', 'stopped midway through the restarted scan');
    assert.equal(cp.writeFrontier, '0', 'a clean stop inside the restart window keeps it (the whole walk)');
    assert.ok(cp.rescanReason, 'the marker stays too');
    const final = await copyUnit({ source, sink: restartAware(sink, cp, 'fail'), filter: passAll, policy: 'fail', store, checkpoint: cp });

    // Assess
    assert.equal(final.status, 'done');
    assert.equal(sink.data.size, 100);
    assert.ok(final.counters.recopied >= 20, `recopied ${final.counters.recopied}`);
  });
});
