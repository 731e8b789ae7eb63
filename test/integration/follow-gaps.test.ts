import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startLiveWriter, stopLiveWriters } from '../fixtures/live-writer.js';
import { assertSameData } from '../helpers/compare-data.js';
import { startFollowRun, stopFollowRuns } from '../helpers/follow-run.js';
import { type FollowServers, reseedFollowSource, startFollowServers } from '../helpers/follow-servers.js';
import type { RedisServer } from '../helpers/index.js';
import { waitUntil } from '../helpers/wait.js';

/** Every way the follower can miss events, driven on purpose: each must end identical all the same. */
describe('migrate --follow: gaps are healed', () => {
  let servers: FollowServers;
  let n = 0;

  before(async () => {
    servers = await startFollowServers('ferry-gaps-');
  });
  after(() => servers?.stop());
  beforeEach(() => reseedFollowSource(servers, { keyspaceEvents: 'AE', bulkKeys: 1500 }));
  afterEach(async () => {
    await stopLiveWriters();
    await stopFollowRuns();
  });
  const start = () =>
    startFollowRun({
      source: `redis://${servers.source.address}`,
      target: `redis://${servers.target.address}`,
      id: `gaps-${++n}`,
      stateDir: servers.work,
    });

  it('a pub/sub client kill mid-follow opens a gap that a reconcile heals', async () => {
    const src = servers.source.client();
    const run = start();
    const writer = startLiveWriter(src, { seed: 11 });
    await run.waitFor(/following the source's writes/, 'the copy to finish');
    await writer.reached(1500);
    assert.ok(Number(await src.call('CLIENT', 'KILL', 'TYPE', 'pubsub')) >= 1);
    await run.waitFor(/reconciled \(/, 'the reconcile after the kill');
    await writer.reached(3000);
    await writer.stop();
    const result = await run.cutover();
    assert.equal(result.code, 0, run.output());
    assert.match(run.output(), /gap \(subscription to .* was closed/);
    await assertSameData(src, servers.target.client());
  });

  it('FLUSHDB on the source (no keyspace event) is seen and reconciled', async () => {
    const src = servers.source.client();
    const run = start();
    await run.waitFor(/following the source's writes/, 'the copy to finish');
    await src.flushdb();
    await src.set('after-flush', 'kept');
    await run.waitFor(/reconciled \(the source node was flushed/, 'the reconcile after the flush');
    const result = await run.cutover();
    assert.equal(result.code, 0, run.output());
    assert.equal(await servers.target.client().dbsize(), 1);
    await assertSameData(src, servers.target.client());
  });

  it('a follow run killed with SIGKILL and started again ends identical', async () => {
    const src = servers.source.client();
    const writer = startLiveWriter(src, { seed: 12 });
    // Stopped whatever happens: a writer left running would keep this file's process alive.
    try {
      await killAndResume(src, writer);
    } finally {
      await writer.stop();
    }
  });

  async function killAndResume(src: ReturnType<RedisServer['client']>, writer: ReturnType<typeof startLiveWriter>) {
    const first = start();
    await first.waitFor(/following the source's writes/, 'the copy to finish');
    await writer.reached(1500);
    await first.waitFor(/unit db0: following; [1-9]/, 'an event to be followed');
    // The state is saved once a second: wait until a save holds an event, so the kill comes after one.
    const statePath = join(servers.work, `gaps-${n}`, 'follow-state.json');
    await waitUntil(
      async () => {
        const saved = JSON.parse(await readFile(statePath, 'utf8'));
        return saved.units?.db0?.events > 0 || `last save: ${JSON.stringify(saved)}`;
      },
      { description: 'a saved follow state with an event' },
    );
    const killedAt = new Date();
    first.child.kill('SIGKILL');
    await first.done;
    // The follow state the killed run left: when it was last following, and the last event it saw.
    const state = JSON.parse(await readFile(statePath, 'utf8'));
    assert.ok(Date.parse(state.savedAt) <= killedAt.getTime(), JSON.stringify(state));
    assert.ok(state.units.db0.lastEventAt && state.units.db0.events > 0, JSON.stringify(state));
    await writer.reached(3000); // writes, deletes and renames nobody follows
    n--; // the same migration id: it resumes
    const second = start();
    await second.waitFor(/reconciled \(the follow run was down from/, 'the reconcile of the downtime');
    await writer.stop();
    const result = await second.cutover();
    assert.equal(result.code, 0, second.output());
    await assertSameData(src, servers.target.client());
    // The resumed run named the time nobody followed: from the killed run's last save to its own start.
    const [, from, to] = /reconciled \(the follow run was down from (\S+) to (\S+), last event seen \S+\)/.exec(second.output()) ?? [];
    assert.equal(from, state.savedAt, second.output());
    assert.ok(Date.parse(to!) >= killedAt.getTime(), second.output());
  }
});
