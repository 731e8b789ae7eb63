import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { STATE } from '../../infra/constructs/migration-state-machine.js';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/checkpoint/local-dynamo.js';
import type { CapturedConsole } from '../../src/rehearse/capture-console.js';
import { type LocalSecrets, startLocalSecrets } from '../../src/rehearse/local-secrets.js';
import type { ExecutionRecord, LocalWorkflow } from '../../src/rehearse/local-workflow.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis, stopAll } from '../helpers/index.js';
import { comparingView } from '../integration/topology-support.js';
import { deployLocally, type LocalDeployment } from './helpers/local-deployment.js';
import { assertCopiedInSlices, capCopySlices } from './helpers/sliced-copy.js';

/**
 * The synthesized state machine, run by aws-local-stepfunctions against the esbuild bundles from
 * the cloud assembly (set up as in state-machine.test.ts), copying a standalone source into a
 * 3-master cluster target: the copy Lambda writes per node by key slot, over many short slices
 * and several rounds, through a lost response and an invocation that never ran.
 */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SOURCE_PASSWORD = 'src-Cluster-Pa55!word';
const SOURCE_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/cluster-source-AbCdEf';
const MIGRATION_ID = 'e2e-cluster';

let source: RedisServer;
let target: RedisCluster;
let dynamo: LocalDynamo;
let secrets: LocalSecrets;
let deployment: LocalDeployment;
let workflow: LocalWorkflow;
let tableName: string;
let logs: CapturedConsole;
let keyCount = 0;

const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });
const final = (chain: ExecutionRecord[]) => chain[chain.length - 1]!;

before(async () => {
  [source, target, dynamo, secrets] = await Promise.all([
    startRedis({ password: SOURCE_PASSWORD }),
    startCluster({ masters: 3 }),
    startLocalDynamo(),
    startLocalSecrets(),
  ]);
  secrets.set(SOURCE_SECRET, SOURCE_PASSWORD);

  // db 0 only: a cluster target has no other db to write into.
  const db0 = source.client({ db: 0 });
  keyCount = await seedMixedDataset(db0, { perType: 15 });
  await seedStrings(db0, 1000, 'k:');
  keyCount += 1000;

  // A 2 ms slice budget and 4 slices per unit per execution: many copy invocations and several rounds.
  deployment = await deployLocally(
    {
      secretArns: [SOURCE_SECRET],
      maxConcurrency: 2,
      copyTimeBudget: Duration.millis(2),
      maxSlicesPerUnitExecution: 4,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    },
    dynamo,
    secrets,
  );
  ({ workflow, tableName, logs } = deployment);
});

after(async () => {
  deployment?.close();
  await Promise.all([dynamo?.stop(), secrets?.stop(), target?.stop(), stopAll()]);
});

describe('State machine, run locally: standalone → cluster', () => {
  it('copies every key onto the right cluster nodes over many slices and rounds, through retried copy faults', async () => {
    const faults: string[] = [];
    // Slices of 4 batches at most: the count of slices below cannot depend on the machine's speed.
    workflow.hook = capCopySlices(async (invocation, call) => {
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
    const chain = await workflow.start({ migrationId: MIGRATION_ID, config }, MIGRATION_ID);
    workflow.hook = undefined;

    const last = final(chain);
    assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
    assert.ok(chain.length > 1, `the run continued as new executions (rounds: ${chain.length})`);
    assert.deepEqual(faults, ['lost response', 'not run'], 'both faults were injected');
    const retried = chain.flatMap((e) => e.events).filter((e) => e.type === 'StateRetried' && e.state.name === STATE.copy);
    assert.ok(retried.length >= 2, `both faults were retried (retries: ${retried.length})`);

    const summary = last.output as {
      status: string;
      units: number;
      rounds: number;
      totals: { copied: number };
      verify?: { level: string; checked: number; mismatches: number; passed: boolean };
    };
    assert.equal(summary.status, 'completed');
    assert.equal(summary.units, 1, 'one unit: the standalone source db 0');
    assert.equal(summary.rounds, chain.length);
    assert.ok(summary.totals.copied >= keyCount, `copied ${summary.totals.copied} of ${keyCount}`);
    // The product's own quick verify (the cloud default) read every key back through the cluster.
    assert.equal(summary.verify?.level, 'quick');
    assert.equal(summary.verify?.checked, keyCount);
    assert.equal(summary.verify?.mismatches, 0);
    assert.equal(summary.verify?.passed, true);

    // Independently of the product: every source key, identical (type, TTL, value), on the cluster;
    // comparingView sums DBSIZE and SCANs over the masters and routes keyed reads by slot.
    const compared = await assertSameData(source.client({ db: 0 }), comparingView(target));
    assert.equal(compared, keyCount);
    // Each master holds its share: the keys were routed by slot, not all written to one node.
    const perMaster = await Promise.all(target.masters.map((m) => m.client().dbsize()));
    assert.ok(
      perMaster.every((n) => n > 0),
      `keys per master: ${perMaster.join(', ')}`,
    );

    const record = await new DynamoMigrationState(dynamo.client, tableName, MIGRATION_ID).load();
    assert.equal(record?.status, 'finished');
    assert.equal(record?.activeRun, undefined, 'the claim is released');
    const units = await new DynamoCheckpointStore(dynamo.client, tableName, MIGRATION_ID, { owner: 'test', runId: 'test' }).listUnits();
    assert.deepEqual(
      units.map((u) => u.checkpoint.status),
      ['done'],
    );
    assertCopiedInSlices(
      workflow.invocations,
      units.map((u) => u.checkpoint),
    );
  });

  it('keeps the source password out of the execution history and the logs', () => {
    const history = JSON.stringify(workflow.invocations) + logs.lines.join('\n');
    assert.ok(logs.lines.length > 0, 'the handlers logged');
    assert.ok(!history.includes(SOURCE_PASSWORD), 'the password leaked');
    assert.ok(secrets.requests.includes(SOURCE_SECRET), 'the source secret was read');
  });
});
