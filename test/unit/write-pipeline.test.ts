import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBudget } from '../../src/core/byte-budget.js';
import type { BigKeyCopier, MigrationRecord, ReadResult } from '../../src/core/contracts.js';
import type { Batch } from '../../src/core/copy/batch.js';
import { WritePipeline, type WritePipelineOptions } from '../../src/core/copy/write-pipeline.js';
import { BigKeyCopierMissingError, TargetKeyExistsError } from '../../src/core/errors.js';
import { FakeObserver, FakeSink, settle } from './fakes.js';

const record = (key: string): MigrationRecord => ({ key: Buffer.from(key), payload: Buffer.from(`v:${key}`), pttlMs: 0, readAtMs: 0 });

/** A batch of the given keys, read whole as records unless `read` says otherwise. */
function batchOf(names: string[], read?: ReadResult | Promise<ReadResult>, mark = 0): Batch {
  const result = read ?? { records: names.map(record), gone: 0 };
  return {
    from: '0',
    to: '0',
    scanned: names.length,
    filtered: 0,
    keys: names.map((k) => Buffer.from(k)),
    mark,
    read: Promise.resolve(result),
  };
}

function pipeline(options: Partial<WritePipelineOptions>): WritePipeline {
  return new WritePipeline({ policy: 'fail', depth: 2, ...options });
}

describe('Class: WritePipeline', () => {
  it('writes a batch read in parts part by part: the next part is read while one is written, each released once written', async () => {
    const budget = new ByteBudget(1000);
    let restReads = 0;
    const second: ReadResult = { records: [record('c'), record('d')], gone: 1, release: budget.take(8).release };
    const first: ReadResult = {
      records: [record('a'), record('b')],
      gone: 0,
      release: budget.take(8).release,
      rest: async () => {
        restReads++;
        return second;
      },
    };
    const sink = new FakeSink();
    const seen: { restReads: number; inUse: number }[] = [];
    const write = sink.write.bind(sink);
    sink.write = async (records, mode) => {
      seen.push({ restReads, inUse: budget.inUse });
      return write(records, mode);
    };
    const writer = pipeline({ sink });
    writer.send(batchOf(['a', 'b', 'c', 'd', 'e'], first), false);
    const { delta } = (await writer.confirm())!;
    assert.deepEqual(seen, [
      { restReads: 1, inUse: 16 },
      { restReads: 1, inUse: 8 },
    ]);
    assert.equal(budget.inUse, 0);
    assert.deepEqual([delta.copied, delta.skippedGone, delta.scanned, delta.batches], [4, 1, 5, 1]);
  });

  it('confirms batches in the order they were sent, even when a later one is written first', async () => {
    let arrive!: (read: ReadResult) => void;
    const late = new Promise<ReadResult>((resolve) => (arrive = resolve));
    const sink = new FakeSink();
    const writer = pipeline({ sink });
    writer.send(batchOf(['a'], late), false);
    writer.send(batchOf(['b']), false);
    assert.equal(writer.full, true);
    const first = writer.confirm();
    await settle();
    assert.deepEqual([...sink.data.keys()], [Buffer.from('b').toString('hex')], 'the second batch is already on the target');
    arrive({ records: [record('a')], gone: 0 });
    assert.deepEqual((await first)?.batch.keys, [Buffer.from('a')]);
    assert.deepEqual((await writer.confirm())?.batch.keys, [Buffer.from('b')]);
    assert.equal(await writer.confirm(), undefined);
    assert.equal(writer.size, 0);
  });

  it('under `fail` a key the target holds stops the batch; under `skip` it is left alone and counted', async () => {
    for (const policy of ['fail', 'skip'] as const) {
      const sink = new FakeSink();
      sink.data.set(Buffer.from('b').toString('hex'), Buffer.from('theirs'));
      const writer = pipeline({ sink, policy });
      writer.send(batchOf(['a', 'b']), false);
      if (policy === 'fail') {
        await assert.rejects(writer.confirm(), (e) => e instanceof TargetKeyExistsError && e.key.toString() === 'b');
      } else {
        const { delta } = (await writer.confirm())!;
        assert.deepEqual([delta.copied, delta.skippedExisting], [1, 1]);
      }
    }
  });

  it('writes with REPLACE under `replace`, and a rewrite under `fail`, which it counts as recopied', async () => {
    for (const [policy, rewrite, mode, recopied] of [
      ['fail', false, 'keep', 0],
      ['fail', true, 'replace', 2],
      ['skip', true, 'keep', 2],
      ['replace', false, 'replace', 0],
    ] as const) {
      const sink = new FakeSink();
      const writer = pipeline({ sink, policy });
      writer.send(batchOf(['a', 'b']), rewrite);
      const { delta } = (await writer.confirm())!;
      assert.deepEqual([sink.modes, delta.recopied], [[mode], recopied], `${policy}, rewrite ${rewrite}`);
    }
  });

  it('copies big keys one at a time through the copier and counts each outcome', async () => {
    const outcomes = { b1: 'copied', b2: 'existing', b3: 'gone', b4: 'expired', b5: 'unsupported' } as const;
    let running = 0;
    let most = 0;
    const copyBigKey: BigKeyCopier = async (key) => {
      most = Math.max(most, ++running);
      await settle();
      running--;
      return { status: outcomes[key.toString() as keyof typeof outcomes], bytes: 500 };
    };
    const big = Object.keys(outcomes).map((k) => ({ key: Buffer.from(k), bytes: 500 }));
    const writer = pipeline({ sink: new FakeSink(), policy: 'skip', copyBigKey });
    writer.send(batchOf(['a', ...Object.keys(outcomes)], { records: [record('a')], gone: 0, big }), false);
    const { delta } = (await writer.confirm())!;
    assert.equal(most, 1);
    assert.deepEqual(
      [delta.copied, delta.bigKeys, delta.skippedExisting, delta.skippedGone, delta.notCopied, delta.bytes],
      [2, 1, 1, 2, 1, 1 + 500], // FakeSink counts a byte per key written
    );
  });

  it('fails a batch with big keys but no copier with BigKeyCopierMissingError naming the key', async () => {
    const writer = pipeline({ sink: new FakeSink() });
    writer.send(batchOf(['huge'], { records: [], gone: 0, big: [{ key: Buffer.from('huge'), bytes: 1e9 }] }), false);
    await assert.rejects(writer.confirm(), (e) => {
      assert.ok(e instanceof BigKeyCopierMissingError);
      assert.equal(e.name, 'BigKeyCopierMissingError');
      assert.equal(e.key.toString(), 'huge');
      assert.match(e.message, /big key "?huge"?.*no big-key copier is configured/);
      return true;
    });
  });

  it('gives back the bytes of the part read ahead when writing a part fails', async () => {
    const budget = new ByteBudget(1000);
    const rest = async (): Promise<ReadResult> => ({ records: [record('b')], gone: 0, release: budget.take(5).release });
    const sink = new FakeSink();
    sink.failOnWrite = 1;
    const writer = pipeline({ sink });
    writer.send(batchOf(['a', 'b'], { records: [record('a')], gone: 0, release: budget.take(5).release, rest }), false);
    await assert.rejects(writer.confirm(), /connection lost/);
    await settle();
    assert.equal(budget.inUse, 0);
  });

  it('in a dry run counts every record and big key as if written', async () => {
    const writer = pipeline({});
    const big = [{ key: Buffer.from('huge'), bytes: 1000 }];
    writer.send(batchOf(['a', 'b', 'huge'], { records: [record('a'), record('b')], gone: 1, big }), false);
    const { delta } = (await writer.confirm())!;
    assert.deepEqual([delta.copied, delta.bigKeys, delta.bytes, delta.skippedGone], [3, 1, 3 + 3 + 1000, 1]);
  });

  it("tells the observer a batch's keys and mark only once every write of the batch resolved, parts and big keys", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const sink = new FakeSink();
    const write = sink.write.bind(sink);
    sink.write = async (records, mode) =>
      records[0]?.key.toString() === 'b' ? gate.then(() => write(records, mode)) : write(records, mode);
    const copied: string[] = [];
    const copyBigKey: BigKeyCopier = async (key) => {
      copied.push(key.toString());
      return { status: 'copied', bytes: 1 };
    };
    const observer = new FakeObserver();
    const read: ReadResult = {
      records: [record('a')],
      gone: 0,
      rest: async () => ({ records: [record('b')], gone: 0, big: [{ key: Buffer.from('huge'), bytes: 9 }] }),
    };
    const writer = pipeline({ sink, copyBigKey, observer });
    writer.send(batchOf(['a', 'b', 'huge', 'gone'], read, 7), false);
    await settle();
    assert.equal(observer.confirmed.length, 0, 'the second part is still being written');
    open();
    await writer.confirm();
    assert.deepEqual(copied, ['huge']);
    assert.deepEqual(
      observer.confirmed.map(({ keys, mark }) => [keys.map(String), mark]),
      [[['a', 'b', 'huge', 'gone'], 7]],
    );
  });
});
