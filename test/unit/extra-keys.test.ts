import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScanPage } from '../../src/core/contracts.js';
import { deleteExtraKeys, type ExtraKeysBatch, walkExtraKeys } from '../../src/core/extra-keys.js';
import { ChangeTracker } from '../../src/core/follow/change-tracker.js';
import { fakeCursor, keys } from './fakes.js';

/** A target db served in fixed pages; `onScan` runs after a page is read (a concurrent writer). */
function targetOf(all: Buffer[], pageSize: number, onScan: (page: ScanPage) => void = () => {}) {
  const pages = Math.ceil(all.length / pageSize);
  return {
    async scan(cursor: string): Promise<ScanPage> {
      const page = cursor === '0' ? 0 : [...Array(pages).keys()].find((p) => fakeCursor(p) === cursor)!;
      const out = { cursor: page + 1 >= pages ? '0' : fakeCursor(page + 1), keys: all.slice(page * pageSize, (page + 1) * pageSize) };
      onScan(out);
      return out;
    },
  };
}

const names = (list: Buffer[]) => list.map((k) => k.toString());

describe('Function: walkExtraKeys / deleteExtraKeys', () => {
  it('deletes the selected target keys the source lacks, telling the observer before each check and after each delete', async () => {
    // Prepare
    const onSource = new Set(['k0', 'k2', 'k3', 'k5']);
    const log: string[] = [];
    let marks = 0;
    // Act
    const end = await deleteExtraKeys({
      targetScan: targetOf([...keys(6), Buffer.from('skip:me')], 3),
      selects: (key) => !key.toString().startsWith('skip:'),
      sourceExists: async (batch) => {
        log.push(`check ${names(batch)}`);
        return batch.map((k) => onSource.has(k.toString()));
      },
      deleteKeys: async (batch) => {
        log.push(`del ${names(batch)}`);
        return batch;
      },
      observer: {
        readIssued: () => {
          log.push(`mark ${++marks}`);
          return marks;
        },
        writeConfirmed: (deleted, mark) => log.push(`confirmed ${names(deleted)} @${mark}`),
      },
    });
    // Assess
    assert.deepEqual(end, { cursor: '0', done: true });
    assert.deepEqual(log, [
      'mark 1',
      'check k0,k1,k2',
      'del k1',
      'confirmed k1 @1',
      'mark 2',
      'check k3,k4,k5',
      'del k4',
      'confirmed k4 @2',
    ]);
    assert.equal(marks, 2, 'the last batch holds only "skip:me", outside the selection: no mark, no source check');
  });

  it('checks the source after reading the target batch: a key created there meanwhile is not extra', async () => {
    const onSource = new Set<string>();
    const batches: ExtraKeysBatch[] = [];
    // The key appears on the source (and then on the target) right after the target batch was read.
    const target = targetOf(keys(4), 2, (page) => {
      for (const k of page.keys) if (k.toString() === 'k3') onSource.add('k3');
    });
    await walkExtraKeys({
      targetScan: target,
      sourceExists: async (batch) => batch.map((k) => onSource.has(k.toString())),
      onBatch: (batch) => void batches.push(batch),
    });
    assert.deepEqual(
      batches.map((b) => names(b.extra)),
      [['k0', 'k1'], ['k2']],
    );
    assert.deepEqual(
      batches.map((b) => b.deleted.length),
      [0, 0],
      'without deleteKeys nothing is deleted',
    );
  });

  it('stops when asked and resumes from the cursor it stopped at', async () => {
    const seen: string[] = [];
    const walk = (cursor: string | undefined, stopAfter: number) => {
      let batches = 0;
      return walkExtraKeys({
        targetScan: targetOf(keys(6), 2),
        sourceExists: async (batch) => {
          seen.push(...names(batch));
          return batch.map(() => true);
        },
        cursor,
        shouldStop: () => batches >= stopAfter,
        onBatch: () => void batches++,
      });
    };
    const first = await walk(undefined, 1);
    assert.equal(first.done, false);
    const rest = await walk(first.cursor, 10);
    assert.equal(rest.done, true);
    assert.deepEqual(seen, names(keys(6)), 'every key checked once across the two walks');
  });

  it('closes the mark of a batch with nothing to delete: a follower ends the pass with no batch open', async () => {
    const tracker = new ChangeTracker();
    await deleteExtraKeys({
      targetScan: targetOf(keys(6), 3),
      sourceExists: async (batch) => batch.map(() => true),
      deleteKeys: async (batch) => batch,
      observer: tracker,
    });
    assert.equal(tracker.bulkPassEnded(), false, 'no mark left open, so no gap to reconcile again');
  });
});
