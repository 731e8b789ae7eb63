import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeTracker } from '../../src/core/follow/change-tracker.js';

const k = (s: string) => Buffer.from(s);
const names = (changes: { key: Buffer }[]) => changes.map((c) => c.key.toString());

describe('Class: ChangeTracker', () => {
  it('coalesces repeated events for one key and hands keys out oldest first', () => {
    const tracker = new ChangeTracker();
    for (const key of ['a', 'b', 'a', 'c', 'b']) tracker.record(k(key));
    assert.equal(tracker.pendingCount, 3);
    assert.deepEqual(names(tracker.take(2)), ['a', 'b']);
    assert.deepEqual(names(tracker.take(10)), ['c']);
    assert.equal(tracker.events, 5);
  });

  it('queues a key of a confirmed bulk batch again when it changed after the batch was read', () => {
    const tracker = new ChangeTracker();
    const mark = tracker.readIssued();
    tracker.record(k('changed')); // after the DUMP was issued: the batch may hold the older value
    tracker.take(10); // the follower copies it at once...
    tracker.writeConfirmed([k('changed'), k('quiet')], mark); // ...and then the stale batch lands
    assert.deepEqual(names(tracker.take(10)), ['changed'], 'the follower must copy it again, after the batch');
    assert.equal(tracker.requeued, 1);
  });

  it('does not queue keys whose last event came before the batch was read', () => {
    const tracker = new ChangeTracker();
    tracker.record(k('early'));
    tracker.take(10);
    const mark = tracker.readIssued();
    tracker.writeConfirmed([k('early')], mark);
    assert.equal(tracker.pendingCount, 0);
  });

  it('keeps each open mark apart: a later batch does not hide an earlier one', () => {
    const tracker = new ChangeTracker();
    const first = tracker.readIssued();
    tracker.record(k('x'));
    const second = tracker.readIssued();
    tracker.take(10);
    tracker.writeConfirmed([k('x')], second);
    assert.equal(tracker.pendingCount, 0, 'x changed before the second batch was read');
    tracker.writeConfirmed([k('x')], first);
    assert.deepEqual(names(tracker.take(10)), ['x']);
  });

  it('reports a gap when a bulk pass ends with batches read and never confirmed', () => {
    const tracker = new ChangeTracker();
    const mark = tracker.readIssued();
    tracker.writeConfirmed([], mark);
    assert.equal(tracker.bulkPassEnded(), false);
    tracker.readIssued();
    assert.equal(tracker.bulkPassEnded(), true);
  });

  it('measures lag from the oldest event not applied, and puts back failed changes with their age', () => {
    let now = 1000;
    const tracker = new ChangeTracker(() => now);
    tracker.record(k('a'));
    now = 1500;
    tracker.record(k('b'));
    now = 2000;
    assert.equal(tracker.lagMs(), 1000);
    const taken = tracker.take(1);
    assert.equal(tracker.lagMs(taken[0]!.sinceMs), 1000, 'a change in flight still counts');
    assert.equal(tracker.lagMs(), 500);
    tracker.putBack(taken);
    assert.equal(tracker.lagMs(), 1000);
  });

  it('wakes a waiter when a change arrives', async () => {
    const tracker = new ChangeTracker();
    const waiting = tracker.changed();
    tracker.record(k('a'));
    await waiting;
    assert.equal(tracker.pendingCount, 1);
  });
});
