import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { STATE } from '../../infra/constructs/migration-state-machine.js';
import { type FollowRecord, listFollowRecords } from '../../src/checkpoint/dynamo-follow.js';
import { cloudCutoverCommand } from '../../src/cli/cutover-cloud.js';
import { setFollowFaults } from '../../src/cloud/follow-faults.js';
import type { ExecutionRecord } from '../../src/rehearse/local-workflow.js';
import { startLiveWriter, stopLiveWriters } from '../fixtures/live-writer.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, stopAll, waitUntil } from '../helpers/index.js';
import { type LocalStack, lambdaError, lastExecution, SOURCE_SECRET, startLocalStack, TARGET_SECRET } from './helpers/local-stack.js';

/**
 * The follow phase of the synthesized state machine, run locally (aws-local-stepfunctions over the
 * esbuild bundles, dynalite, real redis-server): a standalone source written to by a live writer
 * during the copy and the follow, followed by two lanes of short follower invocations that hand
 * the unit over many times (and continue as new lane executions), then cut over with
 * `redis-ferry cutover --table`: the execution verifies and ends with the verdict, and the target
 * equals the source, with no extra key. Then a holder dies mid-slice: the gap is healed.
 */

const SOURCE_PASSWORD = 'src-Follow-Pa55';
const TARGET_PASSWORD = 'tgt-Follow-Pa55';

let source: RedisServer;
let target: RedisServer;
let stack: LocalStack;

const config = () => ({
  source: { addresses: [source.address], passwordSecretArn: SOURCE_SECRET },
  target: { addresses: [target.address], passwordSecretArn: TARGET_SECRET },
  dbs: [0],
  scan: { count: 20 },
  // Slow enough that the copy spans several holders, each handing over mid-copy.
  rateLimit: 400,
  follow: { enabled: true, quietMs: 300 },
});

async function followRecord(migrationId: string): Promise<FollowRecord | undefined> {
  return (await listFollowRecords(stack.dynamo.client, stack.tableName, migrationId)).find((r) => r.unitId === 'db0');
}

/** A fresh source (every type, ~300 keys) and an empty target. */
async function reseed(): Promise<void> {
  await Promise.all([source.client().flushall(), target.client().flushall()]);
  await seedMixedDataset(source.client({ db: 0 }), { perType: 6 });
  await seedStrings(source.client({ db: 0 }), 250, 'k:');
}

/**
 * Starts the migration with follow on, keeps a writer going through the copy and `handovers`
 * hand-overs, stops it, cuts over through the CLI, and returns the run's executions.
 */
async function followAndCutOver(migrationId: string, seed: number, handovers: number): Promise<ExecutionRecord[]> {
  const writer = startLiveWriter(source.client({ db: 0 }), { keys: 120, seed });
  const running = stack.workflow.start({ migrationId, config: config() }, migrationId);
  let copyDone = false;
  await waitUntil(
    async () => {
      const record = await followRecord(migrationId);
      copyDone ||= await copiedAll(migrationId);
      return copyDone && (record?.handovers ?? 0) >= handovers;
    },
    { description: `db0 copied and handed over ${handovers} times`, timeoutMs: 120_000 },
  );
  const counts = await writer.stop();
  for (const op of ['set', 'del', 'expire', 'hset', 'rename']) assert.ok((counts[op] ?? 0) > 0, `the writer ran ${op}`);
  const lines: string[] = [];
  assert.equal(
    await cloudCutoverCommand(migrationId, { table: stack.tableName }, { dynamo: stack.dynamo.client, out: (l) => lines.push(l) }),
    0,
  );
  assert.match(lines.join('\n'), new RegExp(`Cutover requested for ${migrationId}`));
  return running;
}

async function copiedAll(migrationId: string): Promise<boolean> {
  const units = await stack.checkpoints(migrationId).listUnits();
  return units.some((u) => u.checkpoint.unitId === 'db0' && u.checkpoint.status === 'done');
}

/** The run ended with the verify phase's verdict (both directions), and the target is the source. */
async function assertCutOver(chain: ExecutionRecord[], migrationId: string): Promise<FollowRecord> {
  const last = lastExecution(chain);
  assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
  const output = last.output as { verify?: { passed: boolean; mismatches: number; targetChecked?: number } };
  assert.equal(output.verify?.passed, true);
  assert.equal(output.verify?.mismatches, 0);
  assert.ok((output.verify?.targetChecked ?? 0) > 0, 'the verify phase walked the target for extra keys');
  await assertSameData(source.client({ db: 0 }), target.client({ db: 0 }));
  const record = (await followRecord(migrationId))!;
  assert.equal(record.finished, true);
  assert.ok(record.caughtUpAt, 'caught up as of a time');
  assert.equal(record.gap, undefined);
  return record;
}

before(async () => {
  [source, target] = await Promise.all([startRedis({ password: SOURCE_PASSWORD }), startRedis({ password: TARGET_PASSWORD })]);
  // On AWS this is the parameter group's notify-keyspace-events; the followers check it, never set it.
  await source.client().config('SET', 'notify-keyspace-events', 'KEA');
  // Short holds (0.6 s), a 0.3 s lead, a 100 ms heartbeat, 3 invocations per lane execution.
  stack = await startLocalStack(
    {
      secretArns: [SOURCE_SECRET, TARGET_SECRET],
      maxConcurrency: 2,
      maxSlicesPerUnitExecution: 3,
      followTimeBudget: Duration.millis(600),
      followHandoverLead: Duration.millis(300),
      followHeartbeat: Duration.millis(100),
      followPollInterval: Duration.seconds(1),
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    },
    { [SOURCE_SECRET]: SOURCE_PASSWORD, [TARGET_SECRET]: TARGET_PASSWORD },
  );
});

// A test that fails mid-run would otherwise leave its writer going, and this file's process hanging.
afterEach(() => stopLiveWriters());

after(async () => {
  setFollowFaults(undefined);
  await Promise.all([stack?.stop(), stopAll()]);
});

describe('State machine: follow phase with hand-overs, cutover, verify', () => {
  for (const attempt of [1, 2, 3]) {
    it(`follows a standalone source under a writer across hand-overs, cuts over and ends identical (run ${attempt})`, async () => {
      await reseed();
      const migrationId = `follow-${attempt}`;
      const chain = await followAndCutOver(migrationId, attempt * 11, 6);
      const record = await assertCutOver(chain, migrationId);
      assert.ok(record.handovers >= 6, `handed over ${record.handovers} times`);
      assert.ok(record.events > 0 && record.applied > 0, 'the followers applied changes');
      // Lanes continued as new executions (3 invocations each), and both lanes ended with the cutover.
      const lanes = stack.workflow.laneRecords.filter((r) => (r.input as { runId?: string }).runId === migrationId);
      assert.ok(lanes.length > 2, `${lanes.length} lane executions`);
      assert.ok(
        lanes.every((r) => r.status === 'SUCCEEDED'),
        'no lane failed',
      );
      assert.ok(
        stack.workflow.invocations.some((i) => i.state === STATE.verify),
        'the verify phase ran',
      );
    });
  }

  it('heals the gap a follower leaves when it dies mid-slice while holding the unit', async () => {
    await reseed();
    const migrationId = 'follow-killed';
    let killed: string | undefined;
    setFollowFaults({
      killHolder: (unitId, holder, stats) => {
        if (killed !== undefined || unitId !== 'db0' || !holder.startsWith(`${migrationId}/`) || stats.applied < 5) return false;
        killed = holder;
        return true;
      },
    });
    // As the service reports a function that died: Lambda.Unknown, which the Follow task's crash retrier retries.
    stack.workflow.hook = async (_invocation, call) => {
      try {
        return await call();
      } catch (error) {
        if ((error as Error).name === 'FollowerKilledError') throw lambdaError('Lambda.Unknown', 'Unhandled: the function died');
        throw error;
      }
    };
    try {
      const chain = await followAndCutOver(migrationId, 99, 4);
      const record = await assertCutOver(chain, migrationId);
      assert.ok(killed, 'a holder was killed');
      assert.ok(record.gaps >= 1, `gaps: ${record.gaps}`);
      assert.ok(record.gapsHealed >= 1, `gaps healed: ${record.gapsHealed}`);
    } finally {
      stack.workflow.hook = undefined;
      setFollowFaults(undefined);
    }
  });
});
