import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import { copyUnit } from '../../src/core/copy-unit.js';
import { CheckpointConflictError } from '../../src/core/errors.js';
import { copyNewUnit } from '../helpers/copy-new-unit.js';
import { FakeSink, FakeSource, keyFilter, keys, passAll } from './fakes.js';

describe('Function: copyUnit', () => {
  it('copies every page and checkpoints after each confirmed batch', async () => {
    // Prepare
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    const seen: string[] = [];
    // Act
    const final = await copyNewUnit({
      source: new FakeSource(keys(95), 10),
      sink,
      policy: 'fail',
      store,
      onProgress: (cp) => seen.push(cp.cursor),
    });
    // Assess
    assert.equal(final.status, 'done');
    assert.equal(final.cursor, '0');
    assert.equal(final.counters.copied, 95);
    assert.equal(final.counters.batches, 10);
    assert.equal(sink.data.size, 95);
    assert.deepEqual(await store.loadUnit('u'), final);
  });

  it('after a failure mid-batch, a resume rewrites the unconfirmed batches with REPLACE and counts every key once', async () => {
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    sink.failOnWrite = 5; // the 5th batch lands on the target, but the process "dies" before confirming it
    const source = new FakeSource(keys(100), 10);
    await assert.rejects(copyNewUnit({ source, sink, policy: 'fail', store }), /connection lost/);
    const stored = (await store.loadUnit('u'))!;
    assert.equal(stored.counters.copied, 40, 'only 4 batches were confirmed');
    assert.notEqual(stored.writeFrontier, null, 'the frontier covers the batch that was in flight');

    sink.failOnWrite = undefined;
    const final = await copyUnit({ source, sink, filter: passAll, policy: 'fail', store, checkpoint: stored });
    assert.equal(final.status, 'done');
    assert.equal(final.counters.copied, 100, 'each key counted once');
    // At most the batch in flight plus the read-ahead batches (default 4) are rewritten.
    assert.ok(final.counters.recopied >= 10 && final.counters.recopied <= 50, `recopied ${final.counters.recopied}`);
    assert.equal(sink.data.size, 100);
  });

  it("a clean stop inside an earlier attempt's rewrite window keeps that window for the next resume", async () => {
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    sink.failOnWrite = 3;
    const source = new FakeSource(keys(100), 10);
    await assert.rejects(copyNewUnit({ source, sink, policy: 'fail', store }));
    sink.failOnWrite = undefined;
    // Act: a resume that stops after one batch, still inside the window, then one that finishes.
    const writesBefore = sink.modes.length;
    const stopped = await copyUnit({
      source,
      sink,
      filter: passAll,
      policy: 'fail',
      store,
      checkpoint: (await store.loadUnit('u'))!,
      shouldStop: () => sink.modes.length > writesBefore,
      writeAhead: 1,
    });
    assert.equal(stopped.status, 'running');
    assert.notEqual(stopped.writeFrontier, null, "the earlier attempt's frontier is kept");
    const final = await copyUnit({ source, sink, filter: passAll, policy: 'fail', store, checkpoint: stopped });
    // Assess: no BUSYKEY on the failed attempt's own writes, and every key once.
    assert.equal(final.status, 'done');
    assert.equal(final.counters.copied, 100);
  });

  it('with skip, keys the target already holds are left alone and counted', async () => {
    const sink = new FakeSink();
    sink.data.set(Buffer.from('k3').toString('hex'), Buffer.from('theirs'));
    const final = await copyNewUnit({
      source: new FakeSource(keys(20), 10),
      sink,
      policy: 'skip',
    });
    assert.equal(final.counters.skippedExisting, 1);
    assert.equal(final.counters.copied, 19);
    assert.equal(sink.data.get(Buffer.from('k3').toString('hex'))?.toString(), 'theirs');
  });

  it('stops after the batch in hand when asked, leaving a resumable checkpoint', async () => {
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    const final = await copyNewUnit({
      source: new FakeSource(keys(100), 10),
      sink,
      policy: 'replace',
      store,
      shouldStop: () => sink.modes.length >= 3,
    });
    assert.equal(final.status, 'running');
    assert.equal(final.counters.copied, 30);
    assert.equal(sink.data.size, 30, 'nothing written beyond the checkpoint');
  });

  it('copies maxBatches batches at most per call, each call resuming where the last one stopped', async () => {
    // Prepare: 95 keys in pages of 10 are 10 batches; calls of 4 batches at most take 3.
    const store = new MemoryCheckpointStore();
    const sink = new FakeSink();
    const source = new FakeSource(keys(95), 10);
    let checkpoint = newCheckpoint('u');
    const batchesPerCall: number[] = [];
    // Act
    while (checkpoint.status !== 'done') {
      const next = await copyUnit({ source, sink, filter: passAll, policy: 'fail', store, checkpoint, maxBatches: 4 });
      batchesPerCall.push(next.counters.batches - checkpoint.counters.batches);
      checkpoint = next;
    }
    // Assess
    assert.deepEqual(batchesPerCall, [4, 4, 2]);
    assert.equal(checkpoint.counters.copied, 95);
    assert.equal(sink.data.size, 95);
  });

  it('a dry run reads and counts without a sink', async () => {
    const final = await copyNewUnit({
      source: new FakeSource(keys(25), 10),
      policy: 'fail',
    });
    assert.equal(final.counters.copied, 25);
    assert.equal(final.status, 'done');
  });

  it('filters keys before reading them', async () => {
    const filter = keyFilter({ allowKeyPrefix: ['a'], blockKeySuffix: ['9'] });
    const sink = new FakeSink();
    const final = await copyNewUnit({
      source: new FakeSource([...keys(10, 'a'), ...keys(10, 'b')], 7),
      sink,
      filter,
      policy: 'fail',
    });
    assert.equal(final.counters.copied, 9);
    assert.equal(final.counters.filtered, 11);
  });

  it('a worker holding a stale checkpoint loses the race and stops', async () => {
    const store = new MemoryCheckpointStore();
    const stale = newCheckpoint('u');
    await store.saveUnit(stale); // another worker advanced the unit first
    await assert.rejects(
      copyUnit({ source: new FakeSource(keys(10), 5), sink: new FakeSink(), filter: passAll, policy: 'fail', store, checkpoint: stale }),
      CheckpointConflictError,
    );
  });

  it('reads ahead no more than readAheadKeys keys (and at least one batch), however large the batches', async () => {
    for (const [pageSize, expectedScans] of [
      [10, 2 + 3],
      [100, 2 + 1],
    ] as const) {
      // A target that holds every write until released: the reader runs ahead as far as it may.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const sink = new FakeSink();
      const write = sink.write.bind(sink);
      sink.write = async (records, mode) => {
        await held;
        return write(records, mode);
      };
      const source = new FakeSource(keys(1000), pageSize);
      const run = copyNewUnit({
        source,
        sink,
        policy: 'replace',
        readAhead: 4,
        writeAhead: 2,
        readAheadKeys: 25,
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Two batches sent to the target, and behind them only as many as the key budget allows.
      assert.equal(source.scans.length, expectedScans, `page size ${pageSize}`);
      release();
      assert.equal((await run).counters.copied, 1000);
    }
  });
});
