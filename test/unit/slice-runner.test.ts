import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setImmediate } from 'node:timers/promises';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/checkpoint/local-dynamo.js';
import { SliceDeadlineError } from '../../src/cloud/cloud-errors.js';
import { runSlice, type SliceOptions } from '../../src/cloud/slice-runner.js';
import { CheckpointConflictError, SourceUnavailableError, TargetKeyExistsError } from '../../src/core/errors.js';
import { waitUntil } from '../helpers/wait.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TABLE = 'redis-ferry-checkpoints';
const T0 = Date.parse('2025-01-01T00:00:00Z');
let dynamo: LocalDynamo;
let ids = 0;

before(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
after(() => dynamo?.stop());

/** A slice of an invocation with a minute left and no margin; the claim is renewed by `renewClaim`. */
const slice = (extra: Partial<SliceOptions> = {}): SliceOptions => ({
  remainingMs: 60_000,
  safetyMarginMs: 0,
  renewClaim: async () => {},
  ...extra,
});

/**
 * A migration claimed by `run-a` at T0 for one second, on a clock the test moves: the claim lapses
 * at T0 + 1 s unless a heartbeat (at the clock's time then) renews it.
 */
async function claimedMigration() {
  const clock = { now: T0 };
  const state = new DynamoMigrationState(dynamo.client, TABLE, `m-slice-${++ids}`, () => clock.now);
  await state.claim('run-a', { ttlMs: 1_000 });
  return { clock, state, heartbeat: () => state.heartbeat('run-a', 1_000) };
}

describe('Function: runSlice', () => {
  it('stops batch work at the deadline only after its first batch, and reports that the deadline stopped it', async () => {
    // Act: a unit of 1000 batches in a slice with a 1 ms budget.
    const run = await runSlice(slice({ budgetMs: 1 }), async (s) => {
      await waitUntil(async () => Date.now() >= s.deadline, { description: 'the deadline to pass', intervalMs: 5 });
      const stopBeforeProgress = s.shouldStop();
      let batches = 0;
      while (batches < 1000 && !s.shouldStop()) {
        batches++;
        s.progressed();
        await setImmediate();
      }
      return { stopBeforeProgress, batches, done: batches === 1000, reason: s.signal.reason };
    });
    // Assess: the deadline did not stop it before any progress; one batch, then it stopped, not done.
    assert.equal(run.value.stopBeforeProgress, false);
    assert.equal(run.value.batches, 1);
    assert.equal(run.value.done, false);
    assert.equal(run.deadlineReached, true);
    assert.ok(run.value.reason instanceof SliceDeadlineError);
  });

  it('wakes work that waits (a subscription) through its signal at the deadline', async () => {
    const run = await runSlice(slice({ budgetMs: 20 }), async (s) => {
      s.progressed();
      // On a slow machine the deadline may already have passed: progressed() then stops at once.
      if (!s.signal.aborted) await once(s.signal, 'abort');
      return 'handed over';
    });
    assert.deepEqual(run, { value: 'handed over', deadlineReached: true });
  });

  it('lets work that finishes before the deadline return without being stopped', async () => {
    const run = await runSlice(slice(), async (s) => {
      s.progressed();
      return { done: true, stopped: s.shouldStop() };
    });
    assert.deepEqual(run, { value: { done: true, stopped: false }, deadlineReached: false });
  });

  it('renews the claim while the work runs, so another run cannot take the migration', async () => {
    const { clock, state, heartbeat } = await claimedMigration();
    const run = await runSlice(slice({ renewClaim: heartbeat, heartbeatEveryMs: 10 }), async (s) => {
      // 0.9 s later by the migration's clock, a heartbeat renews the claim until T0 + 1.9 s.
      clock.now = T0 + 900;
      await waitUntil(async () => (await state.load())?.claimExpiresAt === T0 + 1_900, { description: 'a heartbeat', intervalMs: 10 });
      // Past the first claim's expiry another run still finds the migration held.
      clock.now = T0 + 1_500;
      await assert.rejects(state.claim('run-b', { ttlMs: 1_000 }), CheckpointConflictError);
      return s.shouldStop();
    });
    assert.deepEqual(run, { value: false, deadlineReached: false });
    assert.equal((await state.load())?.activeRun, 'run-a');
  });

  it('stops the work and throws CheckpointConflictError once another run holds the claim', async () => {
    const { clock, state, heartbeat } = await claimedMigration();
    // run-a's claim lapsed (it stopped heart-beating) and run-b took the migration over.
    clock.now = T0 + 2_000;
    await state.claim('run-b', { ttlMs: 60_000 });
    let reason: unknown;
    const running = runSlice(slice({ renewClaim: heartbeat, heartbeatEveryMs: 10 }), async (s) => {
      while (!s.shouldStop()) await new Promise((r) => setTimeout(r, 5));
      reason = s.signal.reason;
      return 'stopped';
    });
    await assert.rejects(running, (error: Error) => {
      assert.ok(error instanceof CheckpointConflictError);
      assert.match(error.message, /no longer held by run run-a \(it is held by execution run-b\)/);
      return true;
    });
    assert.ok(reason instanceof CheckpointConflictError, 'the work was told why it must stop');
  });

  it('throws the lost claim rather than the failure it caused in the work', async () => {
    const { clock, state, heartbeat } = await claimedMigration();
    clock.now = T0 + 2_000;
    await state.claim('run-b', { ttlMs: 60_000 });
    const running = runSlice(slice({ renewClaim: heartbeat, heartbeatEveryMs: 10 }), async (s) => {
      await once(s.signal, 'abort');
      throw new SourceUnavailableError('source 127.0.0.1:1: the connection closed');
    });
    await assert.rejects(running, CheckpointConflictError);
  });

  it("propagates the work's own error as it was thrown, class and cause included", async () => {
    const cause = new Error('BUSYKEY Target key name already exists.');
    const thrown = new TargetKeyExistsError(Buffer.from('k'), 'target already has key "k"', { cause });
    const running = runSlice(slice({ heartbeatEveryMs: 10 }), async () => {
      await setImmediate();
      throw thrown;
    });
    await assert.rejects(running, (error) => {
      assert.equal(error, thrown);
      assert.equal((error as Error).cause, cause);
      return true;
    });
  });
});
