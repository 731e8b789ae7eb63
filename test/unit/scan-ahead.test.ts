import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteBudget } from '../../src/core/byte-budget.js';
import type { ReadResult } from '../../src/core/contracts.js';
import { ScanAhead, type ScanAheadOptions } from '../../src/core/copy/scan-ahead.js';
import { FakeObserver, FakeSource, fakeCursor, keyFilter, keys, passAll, settle } from './fakes.js';

const text = (list: Buffer[]) => list.map((k) => k.toString());

function scanAhead(source: FakeSource, options: Partial<ScanAheadOptions> = {}): ScanAhead {
  return new ScanAhead({ source, filter: passAll, cursor: '0', batches: 4, keys: 4000, ...options });
}

describe('Class: ScanAhead', () => {
  it('hands out batches in SCAN order with the keys the filter kept, then undefined at cursor 0', async () => {
    const filter = keyFilter({ blockKeySuffix: ['1'] });
    const reader = scanAhead(new FakeSource(keys(25), 10), { filter });
    const batches = [await reader.next(), await reader.next(), await reader.next()];
    assert.deepEqual(
      batches.map((b) => [b?.from, b?.to, b?.scanned, b?.filtered]),
      [
        ['0', fakeCursor(1), 10, 1],
        [fakeCursor(1), fakeCursor(2), 10, 1],
        [fakeCursor(2), '0', 5, 1],
      ],
    );
    assert.deepEqual(text(batches[0]!.keys), ['k0', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']);
    assert.deepEqual(text((await batches[0]!.read).records.map((r) => r.key)), text(batches[0]!.keys));
    assert.equal(await reader.next(), undefined);
    await reader.stop();
  });

  it('runs ahead by at most `batches` batches and `keys` keys, and by one batch whatever its size', async () => {
    for (const [pageSize, limits, queued] of [
      [10, { batches: 3, keys: 1000 }, 3],
      [10, { batches: 10, keys: 25 }, 3],
      [100, { batches: 10, keys: 25 }, 1],
    ] as const) {
      const source = new FakeSource(keys(1000), pageSize);
      const reader = scanAhead(source, limits);
      await settle(); // the fakes answer at once: the reader has gone as far as it may
      assert.equal(source.scans.length, queued, `page size ${pageSize}, ${JSON.stringify(limits)}`);
      await reader.next();
      await settle();
      assert.equal(source.scans.length, queued + 1, 'taking a batch makes room for one more');
      await reader.stop();
    }
  });

  it("takes the observer's mark just before each batch's read, also for a batch with no kept keys", async () => {
    const observer = new FakeObserver();
    const source = new FakeSource([...keys(10, 'a'), ...keys(10, 'b'), ...keys(5, 'a')], 10);
    const marksAtRead: number[] = [];
    const read = source.read.bind(source);
    source.read = (list) => {
      marksAtRead.push(observer.issued);
      return read(list);
    };
    const filter = keyFilter({ allowKeyPrefix: ['a'] });
    const reader = scanAhead(source, { filter, observer });
    const batches = [await reader.next(), await reader.next(), await reader.next()];
    assert.deepEqual(
      batches.map((b) => b?.mark),
      [1, 2, 3],
    );
    assert.deepEqual(marksAtRead, [1, 3], 'the filtered-out batch issues no read');
    assert.deepEqual(batches[1]?.keys, []);
    await reader.stop();
  });

  it('stop() gives the bytes of batches read and never taken back to the budget', async () => {
    const budget = new ByteBudget(1000);
    const source = new FakeSource(keys(100), 10);
    const read = source.read.bind(source);
    source.read = async (list): Promise<ReadResult> => {
      const hold = await budget.acquire(list.length);
      return { ...(await read(list)), release: hold.release };
    };
    const reader = scanAhead(source);
    const taken = await reader.next();
    await settle();
    assert.equal(budget.inUse, 50, 'the batch taken and four read ahead');
    await reader.stop();
    await settle();
    assert.equal(budget.inUse, 10, 'only the batch taken still holds its bytes');
    (await taken!.read).release?.();
    assert.equal(budget.inUse, 0);
  });

  it('hands out the batches queued before a SCAN error, then throws it', async () => {
    const source = new FakeSource(keys(100), 10);
    const scan = source.scan.bind(source);
    source.scan = async (cursor) => {
      if (source.scans.length === 2) throw new Error('connection reset');
      return scan(cursor);
    };
    const reader = scanAhead(source);
    assert.ok(await reader.next());
    assert.ok(await reader.next());
    await assert.rejects(reader.next(), /connection reset/);
    await reader.stop();
  });

  it('counts the keys a source left out itself (ScanPage.skipped) as scanned and filtered', async () => {
    const source = new FakeSource(keys(10), 10);
    const scan = source.scan.bind(source);
    source.scan = async (cursor) => ({ ...(await scan(cursor)), skipped: 7 });
    const reader = scanAhead(source, { filter: keyFilter({ blockKeySuffix: ['1'] }) });
    const batch = await reader.next();
    assert.deepEqual([batch?.scanned, batch?.filtered, batch?.keys.length], [17, 8, 9]);
    await reader.stop();
  });
});
