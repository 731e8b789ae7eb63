import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/checkpoint/local-dynamo.js';
import { type MigrationPlan, newCheckpoint, type UnitCheckpoint, ZERO_COUNTERS } from '../../src/core/contracts.js';
import { CheckpointConflictError, ConfigError } from '../../src/core/errors.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const TABLE = 'redis-ferry-checkpoints';
let dynamo: LocalDynamo;
let clock = Date.parse('2025-01-01T00:00:00Z');
const now = () => clock;
let ids = 0;
const newMigrationId = () => `m-test-${++ids}`;

before(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
after(() => dynamo?.stop());

function store(migrationId: string, owner: string, runId: string, leaseMs = 60_000): DynamoCheckpointStore {
  return new DynamoCheckpointStore(dynamo.client, TABLE, migrationId, { owner, runId, leaseMs, now });
}

const plan = (migrationId: string): MigrationPlan => ({
  migrationId,
  createdAt: '2025-01-01T00:00:00.000Z',
  units: [
    { id: 'db0', label: '127.0.0.1:6379 db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:6379' },
    { id: '0-5460/db0', label: 'shard 0-5460 db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:7000', slots: [[0, 5460]] },
  ],
  targetUnits: [{ id: 'target/db0', label: '127.0.0.1:6380 db0', targetDb: 0, sourceDbs: [0], targetAddress: '127.0.0.1:6380' }],
});

const advance = (cp: UnitCheckpoint, cursor: string): UnitCheckpoint => ({
  ...cp,
  status: 'running',
  cursor,
  counters: { ...cp.counters, scanned: cp.counters.scanned + 10, copied: cp.counters.copied + 10, batches: cp.counters.batches + 1 },
  updatedAt: new Date(clock).toISOString(),
});

describe('Class: DynamoCheckpointStore', () => {
  it('returns no plan until one is saved, then the same plan, and refuses a second plan', async () => {
    const id = newMigrationId();
    const s = store(id, 'w1', 'run-a');
    assert.equal(await s.loadPlan(), undefined);
    await s.savePlan(plan(id));
    assert.deepEqual(await s.loadPlan(), plan(id));
    const record = await new DynamoMigrationState(dynamo.client, TABLE, id).load();
    assert.deepEqual(record?.targetUnits, plan(id).targetUnits, 'the target units travel on the migration item');
    const units = await s.listUnits();
    assert.deepEqual(units.map((u) => [u.checkpoint.unitId, u.checkpoint.status, u.checkpoint.version]).sort(), [
      ['0-5460/db0', 'pending', 0],
      ['db0', 'pending', 0],
    ]);
    await assert.rejects(store(id, 'w2', 'run-b').savePlan(plan(id)), CheckpointConflictError);
  });

  it("keeps a restore plan's file identity on the migration item, so a slice's heartbeat hands it out without loading the plan", async () => {
    const id = newMigrationId();
    const rdb = { uri: 's3://backups/nightly/dump.rdb', size: 123_456, version: 'etag "0f3a"', rdbVersion: 11 };
    const state = new DynamoMigrationState(dynamo.client, TABLE, id);
    await state.claim('run-a', { ttlMs: 60_000 });
    await store(id, 'w1', 'run-a').savePlan({ ...plan(id), rdb });
    assert.deepEqual((await store(id, 'w1', 'run-a').loadPlan())?.rdb, rdb);
    assert.deepEqual((await state.heartbeat('run-a', 60_000)).rdb, rdb);
  });

  it('saves a unit only at the version it read, keeping cursors, frontiers, counters and errors', async () => {
    const id = newMigrationId();
    const s = store(id, 'w1', 'run-a');
    const first = await s.saveUnit({
      ...newCheckpoint('db0'),
      status: 'running',
      cursor: '18446744073709551615',
      writeFrontier: '9223372036854775808',
      error: 'boom',
    });
    assert.equal(first.version, 1);
    assert.equal(first.owner, 'w1');
    const loaded = await s.loadUnit('db0');
    assert.equal(loaded?.cursor, '18446744073709551615');
    assert.equal(loaded?.writeFrontier, '9223372036854775808');
    assert.equal(loaded?.error, 'boom');
    assert.deepEqual(loaded?.counters, ZERO_COUNTERS);

    const second = await s.saveUnit({ ...advance(first, '42'), writeFrontier: null, error: undefined });
    assert.equal(second.version, 2);
    const reloaded = await s.loadUnit('db0');
    assert.equal(reloaded?.writeFrontier, null);
    assert.equal(reloaded?.error, undefined);
    assert.equal(reloaded?.counters.copied, 10);

    await assert.rejects(
      s.saveUnit(advance(first, '43')),
      (error: unknown) => error instanceof CheckpointConflictError && /expected 1/.test(error.message),
    );
    // Fields the engine adds later are kept without the store knowing them.
    const withExtra = { ...advance(second, '44'), scanNode: '127.0.0.1:6379 run-abc master', rescanReason: 'failover' } as UnitCheckpoint;
    const third = await s.saveUnit(withExtra);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(plain(await s.loadUnit('db0')), plain({ ...withExtra, version: 3, owner: 'w1' }));
    const done = await s.saveUnit({
      ...advance(third, '0'),
      status: 'done',
      scanNode: undefined,
      rescanReason: undefined,
    } as UnitCheckpoint);
    assert.equal(done.owner, undefined, "a finished unit is nobody's");
    assert.equal((await s.loadUnitRecord('db0'))?.lease, undefined);
  });

  it('lets exactly one of two workers racing on one unit advance it; the loser keeps failing', async () => {
    const id = newMigrationId();
    await store(id, 'setup', 'run-0').savePlan(plan(id));
    const a = store(id, 'worker-a', 'run-a');
    const b = store(id, 'worker-b', 'run-b');
    const [fromA, fromB] = await Promise.all([a.loadUnit('db0'), b.loadUnit('db0')]);
    const results = await Promise.allSettled([a.saveUnit(advance(fromA!, '100')), b.saveUnit(advance(fromB!, '200'))]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one save succeeds');
    assert.equal(lost.length, 1);
    assert.ok(lost[0]!.reason instanceof CheckpointConflictError, String(lost[0]!.reason));

    const winner = results[0]!.status === 'fulfilled' ? a : b;
    const loser = winner === a ? b : a;
    let winnerCp = (won[0] as PromiseFulfilledResult<UnitCheckpoint>).value;
    const stored = await loser.loadUnit('db0');
    assert.equal(stored?.cursor, winner === a ? '100' : '200');
    // Even reading the newest version, the loser cannot write: the unit is leased to the winner.
    await assert.rejects(loser.saveUnit(advance(stored!, '999')), CheckpointConflictError);
    await assert.rejects(
      loser.acquireUnit('db0'),
      (e: unknown) => e instanceof CheckpointConflictError && /being copied by run/.test(e.message),
    );
    for (let i = 0; i < 5; i++) winnerCp = await winner.saveUnit(advance(winnerCp, String(300 + i)));
    const final = await winner.loadUnit('db0');
    assert.equal(final?.version, winnerCp.version);
    assert.equal(final?.counters.batches, 6, "only the winner's batches are counted");
  });

  it('lets a newer worker of the same run take a unit over and fences the old one out', async () => {
    const id = newMigrationId();
    const old = store(id, 'run-a/req-1', 'run-a');
    let oldCp = await old.saveUnit(advance(newCheckpoint('db0'), '10'));
    const fresh = store(id, 'run-a/req-2', 'run-a');
    const taken = await fresh.acquireUnit('db0');
    assert.equal(taken.version, oldCp.version + 1);
    assert.equal(taken.cursor, '10');
    await assert.rejects(old.saveUnit(advance(oldCp, '20')), CheckpointConflictError);
    oldCp = (await old.loadUnit('db0')) as UnitCheckpoint;
    await assert.rejects(old.saveUnit(advance(oldCp, '20')), CheckpointConflictError, "the lease is the newer worker's");
    const saved = await fresh.saveUnit(advance(taken, '30'));
    assert.equal((await fresh.loadUnit('db0'))?.cursor, '30');
    assert.equal(saved.owner, 'run-a/req-2');
  });

  it('takes over the expired lease of another run, after which the old holder cannot write', async () => {
    const id = newMigrationId();
    const stale = store(id, 'run-a/req-1', 'run-a', 1_000);
    const staleCp = await stale.saveUnit(advance(newCheckpoint('db0'), '10'));
    const next = store(id, 'run-b/req-1', 'run-b');
    await assert.rejects(next.acquireUnit('db0'), CheckpointConflictError);
    clock += 5_000;
    const taken = await next.acquireUnit('db0');
    assert.equal(taken.cursor, '10');
    await assert.rejects(stale.saveUnit(advance(staleCp, '20')), CheckpointConflictError);
  });

  it("evicts a live lease of another run when the caller holds the migration (a stopped run's leftover)", async () => {
    const id = newMigrationId();
    const stopped = store(id, 'run-a/req-1', 'run-a');
    const stoppedCp = await stopped.saveUnit(advance(newCheckpoint('db0'), '10'));
    const restart = store(id, 'run-b/req-1', 'run-b');
    await assert.rejects(restart.acquireUnit('db0'), CheckpointConflictError);
    const taken = await restart.acquireUnit('db0', { evictOtherRuns: true });
    assert.equal(taken.cursor, '10');
    await assert.rejects(stopped.saveUnit(advance(stoppedCp, '20')), CheckpointConflictError, 'the stopped run is fenced out');
    await restart.saveUnit(advance(taken, '30'));
  });

  it('records a failure for its own run only, never on a finished unit, and releases the lease', async () => {
    const id = newMigrationId();
    const mine = store(id, 'run-a/req-1', 'run-a');
    await mine.saveUnit(advance(newCheckpoint('db0'), '10'));
    assert.equal(await store(id, 'run-b/x', 'run-b').recordUnitFailure('db0', { error: 'X', message: 'not mine' }), false);
    assert.equal(await mine.recordUnitFailure('db0', { error: 'TargetKeyExistsError', message: 'target already has key k' }), true);
    const record = await mine.loadUnitRecord('db0');
    assert.equal(record?.checkpoint.status, 'failed');
    assert.equal(record?.checkpoint.error, 'target already has key k');
    assert.equal(record?.errorType, 'TargetKeyExistsError');
    assert.equal(record?.errorRun, 'run-a');
    assert.equal(record?.lease, undefined);

    const cp = await mine.acquireUnit('db0');
    await mine.saveUnit({ ...advance(cp, '0'), status: 'done', error: undefined });
    assert.equal(await mine.recordUnitFailure('db0', { error: 'X', message: 'late' }), false);
    assert.equal((await mine.loadUnit('db0'))?.status, 'done');
  });
});

describe('Class: DynamoMigrationState', () => {
  const start = {
    config: { source: { addresses: ['10.0.0.1:6379'], passwordSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:src' } },
    identity: 'm-abc',
    dryRun: false,
  };

  it('lets one run claim a migration and refuses a second run while the claim is live', async () => {
    const id = newMigrationId();
    const state = new DynamoMigrationState(dynamo.client, TABLE, id, now);
    const record = await state.claim('run-a', { ttlMs: 60_000, round: 0, start });
    assert.equal(record.activeRun, 'run-a');
    assert.equal(record.status, 'running');
    assert.deepEqual(record.config, start.config);
    await state.claim('run-a', { ttlMs: 60_000 });
    await assert.rejects(
      state.claim('run-b', { ttlMs: 60_000, start }),
      (e: unknown) => e instanceof CheckpointConflictError && /being run by execution run-a/.test(e.message),
    );
    clock += 61_000;
    assert.equal((await state.claim('run-b', { ttlMs: 60_000, start })).activeRun, 'run-b', 'a lapsed claim is taken over');
    assert.equal(await state.fail('run-a', { error: 'X', message: 'stale' }), false, 'the old run cannot record over the new one');
    await assert.rejects(state.finish('run-a', {}), CheckpointConflictError);
    await state.finish('run-b', { copied: 5 }, 1_800_000_000);
    const finished = await state.load();
    assert.equal(finished?.status, 'finished');
    assert.equal(finished?.activeRun, undefined);
    assert.deepEqual(finished?.summary, { copied: 5 });
  });

  it('renews a claim only for the run holding it: a straggler of a failed run cannot revive it', async () => {
    const id = newMigrationId();
    const state = new DynamoMigrationState(dynamo.client, TABLE, id, now);
    await state.claim('run-a', { ttlMs: 60_000, start });
    clock += 120_000;
    assert.equal((await state.heartbeat('run-a', 60_000)).activeRun, 'run-a', 'the holder renews even a lapsed claim');
    await assert.rejects(
      state.heartbeat('run-b', 60_000),
      (e: unknown) => e instanceof CheckpointConflictError && /held by execution run-a/.test(e.message),
    );
    await state.fail('run-a', { error: 'X', message: 'failed' });
    await assert.rejects(
      state.heartbeat('run-a', 60_000),
      (e: unknown) => e instanceof CheckpointConflictError && /failed and held by no run/.test(e.message),
    );
    assert.equal((await state.load())?.activeRun, undefined);
  });

  it('releases the claim on failure so a restart can claim it at once', async () => {
    const id = newMigrationId();
    const state = new DynamoMigrationState(dynamo.client, TABLE, id, now);
    await state.claim('run-a', { ttlMs: 60_000, start });
    assert.equal(await state.fail('run-a', { error: 'TargetKeyExistsError', message: 'unit db0: key k exists' }), true);
    const failed = await state.load();
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.lastErrorType, 'TargetKeyExistsError');
    assert.equal((await state.claim('run-b', { ttlMs: 60_000, start })).activeRun, 'run-b');
  });

  it('refuses to resume a migration id with a different copy or dry-run mode', async () => {
    const id = newMigrationId();
    const state = new DynamoMigrationState(dynamo.client, TABLE, id, now);
    await state.claim('run-a', { ttlMs: 60_000, start });
    await assert.rejects(state.claim('run-a', { ttlMs: 60_000, start: { ...start, identity: 'm-other' } }), ConfigError);
    await assert.rejects(state.claim('run-a', { ttlMs: 60_000, start: { ...start, dryRun: true } }), ConfigError);
  });
});
