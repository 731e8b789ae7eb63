import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BigKeyCopier } from '../../src/core/contracts.js';
import { copyNewUnit } from '../helpers/copy-new-unit.js';
import { FakeObserver, FakeSink, FakeSource, keyFilter, keys, settle } from './fakes.js';

const text = (list: Buffer[]) => list.map(String);

/** Pages of 10: a0-a9, a10-a19, b0-b9 (all filtered out), c0-c4; a5 and a15 too big to DUMP whole. */
function keyspace(): FakeSource {
  return new FakeSource([...keys(20, 'a'), ...keys(10, 'b'), ...keys(5, 'c')], 10, { partSize: 3, big: ['a5', 'a15'] });
}

/** Records the observer's last mark whenever the source is asked to read. */
function recordReads(source: FakeSource, observer: FakeObserver): { keys: string[]; mark: number }[] {
  const reads: { keys: string[]; mark: number }[] = [];
  const read = source.read.bind(source);
  source.read = (list) => {
    reads.push({ keys: text(list), mark: observer.issued });
    return read(list);
  };
  return reads;
}

const byMark = (list: { keys: string[]; mark: number }[]) => [...list].sort((a, b) => a.mark - b.mark);

describe('Function: copyUnit, with a BulkWriteObserver', () => {
  it('confirms every batch with the mark taken before its read, once the target confirmed all its writes', async () => {
    // Prepare: every write and big-key copy resolves a turn later, and notes its keys once it has.
    const written = new Set<string>();
    const sink = new FakeSink();
    const write = sink.write.bind(sink);
    sink.write = async (records, mode) => {
      await settle();
      const result = await write(records, mode);
      for (const r of records) written.add(r.key.toString());
      return result;
    };
    const copyBigKey: BigKeyCopier = async (key) => {
      await settle();
      written.add(key.toString());
      return { status: 'copied', bytes: 1 };
    };
    const observer = new FakeObserver();
    const early: string[] = [];
    const confirm = observer.writeConfirmed.bind(observer);
    observer.writeConfirmed = (list, mark) => {
      early.push(...text(list).filter((k) => !written.has(k)));
      confirm(list, mark);
    };
    const source = keyspace();
    const reads = recordReads(source, observer);
    // Act
    const final = await copyNewUnit({
      source,
      sink,
      filter: keyFilter({ blockKeyPrefix: ['b'] }),
      policy: 'fail',
      copyBigKey,
      observer,
    });
    // Assess
    assert.equal(final.counters.copied, 25);
    assert.deepEqual(early, [], 'no key confirmed before its write resolved');
    assert.equal(observer.issued, 4, 'one mark per batch');
    const confirmed = byMark(observer.confirmed.map(({ keys, mark }) => ({ keys: text(keys), mark })));
    assert.deepEqual(
      confirmed.filter((c) => c.keys.length > 0),
      byMark(reads),
    );
    assert.deepEqual(
      confirmed.map((c) => c.mark),
      [1, 2, 3, 4],
    );
    assert.deepEqual(confirmed[2]?.keys, [], 'the batch the filter emptied is confirmed with no keys');
  });

  it('in a dry run confirms each batch right after its read, with its mark', async () => {
    const observer = new FakeObserver();
    const source = keyspace();
    const reads = recordReads(source, observer);
    const final = await copyNewUnit({
      source,
      policy: 'fail',
      observer,
    });
    assert.equal(final.counters.copied, 35);
    assert.deepEqual(byMark(observer.confirmed.map(({ keys, mark }) => ({ keys: text(keys), mark }))), byMark(reads));
    assert.equal(reads.length, 4);
  });

  it('never confirms a batch read ahead but not written before the unit stopped', async () => {
    const observer = new FakeObserver();
    const sink = new FakeSink();
    const final = await copyNewUnit({
      source: new FakeSource(keys(100), 10),
      sink,
      policy: 'replace',
      observer,
      writeAhead: 1,
      shouldStop: () => sink.modes.length >= 2,
    });
    assert.equal(final.counters.batches, 2);
    assert.ok(observer.issued > 2, `read ahead: ${observer.issued} marks`);
    assert.deepEqual(
      observer.confirmed.map((c) => c.mark),
      [1, 2],
    );
  });
});
