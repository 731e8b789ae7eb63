import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { STATE } from '../../infra/constructs/migration-state-machine.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis, stopAll } from '../helpers/index.js';
import { type LocalStack, lambdaError, lastExecution, startLocalStack } from './helpers/local-stack.js';
import { assertSameOnCluster, assertVerifiedClean, type RunSummary, seedForClusterTarget } from './helpers/run-summary.js';
import { assertCopiedInSlices, capCopySlices } from './helpers/sliced-copy.js';

/**
 * The synthesized state machine, run by aws-local-stepfunctions against the esbuild bundles from
 * the cloud assembly (set up as in state-machine.test.ts), copying a standalone source into a
 * 3-master cluster target: the copy Lambda writes per node by key slot, over many short slices
 * and several rounds, through a lost response and an invocation that never ran.
 */

const SOURCE_PASSWORD = 'src-Cluster-Pa55!word';
const SOURCE_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/cluster-source-AbCdEf';
const MIGRATION_ID = 'e2e-cluster';

let source: RedisServer;
let target: RedisCluster;
let stack: LocalStack;
let keyCount = 0;

before(async () => {
  [source, target] = await Promise.all([startRedis({ password: SOURCE_PASSWORD }), startCluster({ masters: 3 })]);
  keyCount = await seedForClusterTarget(source.client({ db: 0 }));

  // A 2 ms slice budget and 4 slices per unit per execution: many copy invocations and several rounds.
  stack = await startLocalStack(
    {
      secretArns: [SOURCE_SECRET],
      maxConcurrency: 2,
      copyTimeBudget: Duration.millis(2),
      maxSlicesPerUnitExecution: 4,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    },
    { [SOURCE_SECRET]: SOURCE_PASSWORD },
  );
});

after(async () => {
  await Promise.all([stack?.stop(), target?.stop(), stopAll()]);
});

describe('State machine, run locally: standalone → cluster', () => {
  it('copies every key onto the right cluster nodes over many slices and rounds, through retried copy faults', async () => {
    const faults: string[] = [];
    // Slices of 4 batches at most: the count of slices below cannot depend on the machine's speed.
    stack.workflow.hook = capCopySlices(async (invocation, call) => {
      if (invocation.state !== STATE.copy) return call();
      if (invocation.count === 3) {
        // The slice ran and was checkpointed, but Step Functions never hears back: the retry
        // must resume from that checkpoint, on a target that already holds the slice's keys.
        faults.push('lost response');
        await call();
        throw lambdaError('Lambda.ServiceException', 'simulated: the response was lost');
      }
      if (invocation.count === 7) {
        // Lambda refuses the invocation before the handler runs: nothing was copied.
        faults.push('not run');
        throw lambdaError('Lambda.ServiceException', 'simulated: the invocation never ran');
      }
      return call();
    });

    // The target is given by one node only; the plan discovers that it is a cluster.
    const config = {
      source: { addresses: [source.address], passwordSecretArn: SOURCE_SECRET },
      target: { addresses: [target.seed.address] },
      scan: { count: 10 },
    };
    const chain = await stack.workflow.start({ migrationId: MIGRATION_ID, config }, MIGRATION_ID);
    stack.workflow.hook = undefined;

    const last = lastExecution(chain);
    assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
    assert.ok(chain.length > 1, `the run continued as new executions (rounds: ${chain.length})`);
    assert.deepEqual(faults, ['lost response', 'not run'], 'both faults were injected');
    const retried = chain.flatMap((e) => e.events).filter((e) => e.type === 'StateRetried' && e.state.name === STATE.copy);
    assert.ok(retried.length >= 2, `both faults were retried (retries: ${retried.length})`);

    const summary = last.output as RunSummary;
    assert.equal(summary.status, 'completed');
    assert.equal(summary.units, 1, 'one unit: the standalone source db 0');
    assert.equal(summary.rounds, chain.length);
    assert.ok(summary.totals.copied >= keyCount, `copied ${summary.totals.copied} of ${keyCount}`);
    // The product's own quick verify (the cloud default) read every key back through the cluster.
    assertVerifiedClean(summary, 'quick', keyCount);
    // Independently of the product: every source key, identical, on the cluster, each master holding
    // its share (the keys were routed by slot, not all written to one node).
    await assertSameOnCluster(source, target, keyCount);

    const record = await stack.migrationState(MIGRATION_ID).load();
    assert.equal(record?.status, 'finished');
    assert.equal(record?.activeRun, undefined, 'the claim is released');
    const units = await stack.checkpoints(MIGRATION_ID).listUnits();
    assert.deepEqual(
      units.map((u) => u.checkpoint.status),
      ['done'],
    );
    assertCopiedInSlices(
      stack.workflow.invocations,
      units.map((u) => u.checkpoint),
    );
  });

  it('keeps the source password out of the execution history and the logs', () => {
    const history = JSON.stringify(stack.workflow.invocations) + stack.logs.lines.join('\n');
    assert.ok(stack.logs.lines.length > 0, 'the handlers logged');
    assert.ok(!history.includes(SOURCE_PASSWORD), 'the password leaked');
    assert.ok(stack.secrets.requests.includes(SOURCE_SECRET), 'the source secret was read');
  });
});
