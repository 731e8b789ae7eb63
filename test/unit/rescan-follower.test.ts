import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ReconcileCounters, type UnitDescriptor, ZERO_RECONCILE } from '../../src/core/contracts.js';
import type { ReconcileUnitResult } from '../../src/runner/follow/reconcile-unit.js';
import { RescanFollower } from '../../src/runner/follow/rescan-follower.js';
import { waitUntil } from '../helpers/wait.js';

const unit: UnitDescriptor = { id: 'db0', label: 'db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:1' };
const counts = (changed: number): ReconcileCounters => ({ ...ZERO_RECONCILE, compared: 10, different: changed, unchanged: 10 - changed });

/**
 * A scripted reconcile: each pass waits until the test releases it (or it is told to stop), then
 * reports the next scripted number of differences. The test decides what each pass finds and when.
 */
function scriptedPasses() {
  const started: { release: (changed: number) => void }[] = [];
  const reconcile = (_observer: unknown, shouldStop?: () => boolean) =>
    new Promise<ReconcileUnitResult>((resolve) => {
      const stop = shouldStop ?? (() => false);
      const timer = setInterval(() => {
        if (stop()) {
          clearInterval(timer);
          resolve({ counts: counts(0), complete: false });
        }
      }, 10);
      started.push({
        release: (changed) => {
          clearInterval(timer);
          resolve({ counts: counts(changed), complete: true });
        },
      });
    });
  return { started, reconcile };
}

describe('RescanFollower: the verdict needs a clean full pass started after the cutover request', () => {
  it('cuts the pass under way short at the request, and is caught up only after a clean final pass', async () => {
    const notes: string[] = [];
    const { started, reconcile } = scriptedPasses();
    const follower = new RescanFollower({ unit, reconcile, note: (m) => notes.push(m), pauseMs: 0 });
    await follower.start();
    try {
      follower.copyFinished();
      await waitUntil(async () => started.length === 1, { description: 'pass 1 to start', timeoutMs: 10_000 });
      started[0]!.release(0); // a clean pass before the request: not a verdict
      await waitUntil(async () => started.length === 2, { description: 'pass 2 to start', timeoutMs: 10_000 });
      assert.equal(follower.caughtUp(), false, 'a clean pass before the cutover request proves nothing');
      assert.equal(follower.stats().rescan?.passes, 1);
      assert.ok(follower.stats().rescan?.lastCleanAt, 'the last clean pass is reported');

      // The request: pass 2 (started before it) is cut short; a final pass starts.
      follower.beginCutover();
      await waitUntil(async () => started.length === 3, { description: 'the final pass to start', timeoutMs: 10_000 });
      assert.equal(follower.stats().rescan?.passes, 1, 'the cut pass does not count');
      assert.equal(follower.stats().rescan?.running?.final, true);
      started[2]!.release(3); // the final pass found differences: another one follows
      await waitUntil(async () => started.length === 4, { description: 'another final pass', timeoutMs: 10_000 });
      assert.equal(follower.caughtUp(), false, 'a final pass that changed keys is not a verdict');
      assert.match(notes.at(-1)!, /changed 3 .*another pass follows/);
      started[3]!.release(0);
      await waitUntil(async () => follower.caughtUp(), { description: 'the verdict', timeoutMs: 10_000 });
      assert.match(notes.at(-1)!, /pass 3 \(started after the cutover request\) compared 10 key\(s\) and found no difference/);
      assert.equal(follower.stats().rescan?.last?.final, true);
      assert.equal(started.length, 4, 'no pass starts after the verdict');
    } finally {
      await follower.stop();
    }
  });

  it('counts the time since the first of the clean passes in a row as quiet (for --cutover-when-idle)', async () => {
    const { started, reconcile } = scriptedPasses();
    const follower = new RescanFollower({ unit, reconcile, note: () => {}, pauseMs: 0 });
    await follower.start();
    try {
      follower.copyFinished();
      await waitUntil(async () => started.length === 1, { description: 'pass 1', timeoutMs: 10_000 });
      started[0]!.release(5);
      await waitUntil(async () => started.length === 2, { description: 'pass 2', timeoutMs: 10_000 });
      assert.equal(follower.stats().quietMs, 0, 'a pass that changed keys: not quiet');
      started[1]!.release(0);
      await waitUntil(async () => started.length === 3, { description: 'pass 3', timeoutMs: 10_000 });
      assert.ok(follower.stats().quietMs > 0);
      started[2]!.release(2);
      await waitUntil(async () => started.length === 4, { description: 'pass 4', timeoutMs: 10_000 });
      assert.equal(follower.stats().quietMs, 0, 'a difference ends the quiet');
      assert.equal(follower.stats().applied, 7, 'keys written by the passes');
    } finally {
      await follower.stop();
    }
  });
});
