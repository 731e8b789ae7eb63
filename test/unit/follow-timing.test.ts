import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { earlyWake, followTimings, laneExecutionName } from '../../src/cloud/follow-timing.js';

const settings = { followLeadMs: 60_000, followTickMs: 2_000 };

describe('follow timings', () => {
  it('holds until the timeout less two leads (or the budget), with a lease of five heartbeats', () => {
    const t = followTimings(settings, 840_000, 0);
    assert.equal(t.activeMs, 720_000);
    assert.equal(t.leaseMs, 10_000);
    assert.equal(followTimings({ ...settings, followTimeBudgetMs: 300_000 }, 840_000, 0).activeMs, 300_000);
  });

  it('sends an early invocation back until a lead before the other lane hands over, and keeps one that is due', () => {
    const t = followTimings(settings, 840_000, 0);
    const holder = { holder: 'run/1', holderLane: 'a', releaseAt: 700_000, leaseUntil: 20_000 };
    assert.equal(earlyWake(holder, 'b', t, 10_000), 640_000);
    assert.equal(earlyWake({ ...holder, leaseUntil: 700_000 }, 'b', t, 620_000), undefined, 'within half a lead: stay and stand by');
    assert.equal(earlyWake(holder, 'a', t, 10_000), undefined, 'its own lane holds: a predecessor that died, or a zombie');
    assert.equal(earlyWake({ ...holder, leaseUntil: 5_000 }, 'b', t, 10_000), undefined, 'a lapsed lease: take over');
    assert.equal(earlyWake(undefined, 'b', t, 10_000), undefined);
  });

  it('names lane executions per run, unit and lane, within 80 characters of [A-Za-z0-9_-]', () => {
    const name = laneExecutionName('x'.repeat(90), 'node-10.0.0.5:6379-db0', 'a', 12);
    assert.ok(name.length <= 80);
    assert.match(name, /^[A-Za-z0-9_-]+-a12$/);
    assert.notEqual(laneExecutionName('run', 'db0', 'a', 0), laneExecutionName('run', 'db1', 'a', 0));
    assert.notEqual(laneExecutionName('run', 'db0', 'a', 0), laneExecutionName('run', 'db0', 'b', 0));
  });
});
