import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress } from '../../src/checkpoint/dynamo-verify.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/checkpoint/local-dynamo.js';
import { statusCommand } from '../../src/cli/status-command.js';
import { newCheckpoint, type UnitCheckpoint, type UnitCounters } from '../../src/core/contracts.js';
import { waitUntil } from '../helpers/index.js';
import { VirtualTerminal } from '../helpers/virtual-terminal.js';

/**
 * `redis-ferry status --watch` against DynamoDB's API (dynalite): the test writes the checkpoints a
 * run would write while the watcher polls them, one poll at a time (its waits are the test's), and
 * reads what the watcher drew.
 */

const TABLE = 'checkpoints';
let dynamo: LocalDynamo;

/** The watcher's clock and waits: each wait moves the clock by its length and lasts until the test says next(). */
class Polls {
  nowMs = 1_700_000_000_000;
  private release?: () => void;
  readonly now = () => this.nowMs;
  readonly sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      this.nowMs += ms;
      this.release = resolve;
    });

  /** Resolves once the watcher drew a frame and waits for its next poll. */
  async drawn(): Promise<void> {
    await waitUntil(async () => this.release !== undefined, { description: 'the watcher to poll and wait' });
  }

  /** Lets the watcher poll again. */
  next(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}

interface Seeded {
  state: DynamoMigrationState;
  store: DynamoCheckpointStore;
  runId: string;
}

async function seed(migrationId: string, unitIds: string[]): Promise<Seeded> {
  const runId = `${migrationId}-run`;
  const state = new DynamoMigrationState(dynamo.client, TABLE, migrationId);
  await state.claim(runId, { ttlMs: 600_000, round: 0, start: { config: {}, identity: `m-${migrationId}`, dryRun: false } });
  const store = new DynamoCheckpointStore(dynamo.client, TABLE, migrationId, { owner: `${runId}/copy`, runId });
  await store.savePlan({
    migrationId,
    createdAt: new Date().toISOString(),
    units: unitIds.map((id, i) => ({ id, label: `10.0.0.5:6379 ${id}`, sourceDb: i, targetDb: i, sourceAddress: '10.0.0.5:6379' })),
  });
  return { state, store, runId };
}

/** Saves a unit's progress as a copy slice would: `cursor` '1' is half the keyspace, '2' a quarter, '3' three quarters. */
async function progress(
  store: DynamoCheckpointStore,
  unitId: string,
  cursor: string,
  copied: number,
  done = false,
): Promise<UnitCheckpoint> {
  const current = (await store.loadUnit(unitId)) ?? newCheckpoint(unitId);
  const counters: UnitCounters = {
    ...current.counters,
    scanned: copied,
    copied,
    bytes: copied * 100,
    batches: current.counters.batches + 1,
  };
  return store.saveUnit({ ...current, cursor: done ? '0' : cursor, status: done ? 'done' : 'running', counters });
}

before(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
after(() => dynamo?.stop());

describe('Command: status --watch', () => {
  it('redraws bars with keys/s and an ETA as the run advances, through the verify phase, and exits 0 when it finished', async () => {
    const { state, store, runId } = await seed('live', ['db0', 'db1']);
    const polls = new Polls();
    const term = new VirtualTerminal(160);
    const watching = statusCommand(
      'live',
      { table: TABLE, watch: true },
      { dynamo: dynamo.client, stream: term, now: polls.now, sleep: polls.sleep },
    );
    const screen = () => term.screen().join('\n');

    await polls.drawn();
    assert.match(screen(), /copy 0\/2 +\[░+\] +0% \| 0 keys copied \| - keys\/s \| ETA -/);

    await progress(store, 'db0', '1', 1_000);
    await progress(store, 'db1', '2', 500);
    polls.next();
    await polls.drawn();
    // 1,500 keys in 2 s; 37.5% done in 2 s, so 62.5% takes 3.3 s more.
    assert.match(screen(), /10\.0\.0\.5:6379 db0 \[█+░+\] +50% \| 1,000 keys copied \| 500 keys\/s \| ETA 2\.0s/);
    assert.match(screen(), /10\.0\.0\.5:6379 db1 \[█+░+\] +25% \| 500 keys copied \| 250 keys\/s \| ETA 6\.0s/);
    assert.match(screen(), /copy 0\/2 +\[█+░+\] +37% \| 1,500 keys copied \| 750 keys\/s \| ETA 3\.3s/);

    await progress(store, 'db0', '0', 2_000, true);
    await progress(store, 'db1', '3', 1_500);
    polls.next();
    await polls.drawn();
    assert.match(screen(), /copy 1\/2 +\[█+░+\] +87% \| 3,500 keys copied \| 875 keys\/s/);

    // Every unit copied; the run verifies: new bars for the verify phase.
    await progress(store, 'db1', '0', 2_000, true);
    const verify = new DynamoVerifyProgress(dynamo.client, TABLE, 'live', { runId, owner: `${runId}/verify` });
    const started = await verify.acquire('db0', 'quick');
    await verify.save({ ...started, cursor: '1', report: { ...started.report, checked: 400 } });
    polls.next();
    await polls.drawn();
    assert.match(screen(), /live: copy done, now verify/);
    assert.match(screen(), /verify 0\/2 +\[█+░+\] +25% \| 400 keys compared/);

    await state.finish(runId, { migrationId: 'live', status: 'completed' });
    polls.next();
    assert.equal(await watching, 0);
    assert.match(screen(), /Migration live: finished, 2\/2 units done/);
    assert.match(screen(), /copied +4,000 keys/);
    assert.ok(term.raw.endsWith('\n'), 'the cursor is left on a line of its own');
    assert.ok(term.raw.includes('\x1b[?25h'), 'the cursor is shown again');
  });

  it('prints a line per change when not on a terminal, and exits 1 when the migration failed', async () => {
    const { state, store, runId } = await seed('broken', ['db0']);
    const polls = new Polls();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk) => (text += String(chunk)));
    const watching = statusCommand(
      'broken',
      { table: TABLE, watch: true },
      { dynamo: dynamo.client, stream: output, now: polls.now, sleep: polls.sleep },
    );

    await polls.drawn();
    polls.next(); // nothing changed: no second line
    await polls.drawn();
    await progress(store, 'db0', '1', 100);
    polls.next();
    await polls.drawn();
    const lines = text.trimEnd().split('\n');
    assert.deepEqual(lines, [
      'broken copy (round 0): 0.0% | 0 keys copied | - keys/s | ETA - | units 0/1 done | 0 keys (0 B) copied in all',
      'broken copy (round 0): 50.0% | 100 keys copied | 25 keys/s | ETA 4.0s | units 0/1 done | 100 keys (9.8 KB) copied in all',
    ]);
    assert.ok(!text.includes('\x1b['), 'no terminal control sequences in a log');

    await state.fail(runId, { error: 'TargetKeyExistsError', message: 'target already has key k' });
    polls.next();
    assert.equal(await watching, 1);
    assert.match(text, /Migration broken: failed/);
    assert.match(text, /error +TargetKeyExistsError: target already has key k/);
  });

  it('stops when interrupted (130), and refuses --watch with --json or an unknown migration', async () => {
    await seed('interrupted', ['db0']);
    const polls = new Polls();
    const interrupt = new AbortController();
    const output = new PassThrough().resume();
    const watching = statusCommand(
      'interrupted',
      { table: TABLE, watch: true },
      { dynamo: dynamo.client, stream: output, now: polls.now, sleep: polls.sleep, signal: interrupt.signal },
    );
    await polls.drawn();
    interrupt.abort();
    polls.next();
    assert.equal(await watching, 130);

    await assert.rejects(
      statusCommand('interrupted', { table: TABLE, watch: true, json: true }, { dynamo: dynamo.client }),
      /--watch .* --json/,
    );
    await assert.rejects(
      statusCommand('nope', { table: TABLE, watch: true }, { dynamo: dynamo.client, stream: output }),
      /no migration nope in table checkpoints/,
    );
  });
});
