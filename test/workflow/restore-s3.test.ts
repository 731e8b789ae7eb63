import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { LAMBDA_ENV } from '../../src/cloud/deploy-names.js';
import { type RedisCluster, type RedisServer, startCluster, startRedis, stopAll } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';
import { S3RVER_CREDENTIALS, type S3Server, startS3Server } from '../helpers/s3-server.js';
import { type LocalStack, lastExecution, startLocalStack } from './helpers/local-stack.js';
import { assertSameOnCluster, assertVerifiedClean, type RunSummary, seedForClusterTarget } from './helpers/run-summary.js';
import { assertCopiedInSlices, capCopySlices } from './helpers/sliced-copy.js';

/**
 * The synthesized state machine, run by aws-local-stepfunctions over the esbuild bundles (as in
 * state-machine-cluster.test.ts), restoring an RDB snapshot that a real redis-server BGSAVEd and the
 * test uploaded to s3rver (a real S3 API on loopback; the Lambdas reach it through RDB_S3_ENDPOINT)
 * into a 3-master cluster: 4 byte-range units, each restored over many 2 ms slices and rounds.
 */

const MIGRATION_ID = 'e2e-restore-s3';
const BUCKET = 'ferry-backups';
const OBJECT = 'nightly/dump.rdb';

let source: RedisServer;
let target: RedisCluster;
let s3: S3Server;
let stack: LocalStack;
let keyCount = 0;

before(async () => {
  [source, target, s3] = await Promise.all([
    startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS }),
    startCluster({ masters: 3 }),
    startS3Server(),
  ]);
  const db0 = source.client({ db: 0 });
  keyCount = await seedForClusterTarget(db0);
  db0.disconnect();
  await s3.createBucket(BUCKET);
  await s3.putObject(BUCKET, OBJECT, { path: await saveRdb(source, 'snapshot') });

  // Read once by each handler when its bundle loads, as a Lambda reads its environment.
  process.env[LAMBDA_ENV.rdbS3Endpoint] = s3.endpoint;
  stack = await startLocalStack({
    maxConcurrency: 2,
    copyTimeBudget: Duration.millis(2),
    maxSlicesPerUnitExecution: 4,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
  });
  // s3rver checks signatures with its own credentials; dynalite and the local Secrets Manager take any.
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
});

after(async () => {
  delete process.env[LAMBDA_ENV.rdbS3Endpoint];
  await Promise.all([stack?.stop(), s3?.stop(), target?.stop(), stopAll()]);
});

describe('State machine, run locally: RDB snapshot in S3 → cluster', () => {
  it('restores the snapshot in 4 range units over many slices and rounds, verifies it in full, identical', async () => {
    const config = {
      rdb: { s3Uri: `s3://${BUCKET}/${OBJECT}` },
      target: { addresses: [target.seed.address] },
      parallel: 4,
      scan: { count: 10 },
      verify: 'full',
    };
    // Slices of 4 batches at most: the count of slices below cannot depend on the machine's speed.
    stack.workflow.hook = capCopySlices();
    const chain = await stack.workflow.start({ migrationId: MIGRATION_ID, config }, MIGRATION_ID);
    stack.workflow.hook = undefined;
    const last = lastExecution(chain);
    assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
    assert.ok(chain.length > 1, `the run continued as new executions (rounds: ${chain.length})`);

    const summary = last.output as RunSummary;
    assert.equal(summary.status, 'completed');
    assert.equal(summary.units, 4, 'one unit per byte range of db 0');
    assert.equal(summary.rounds, chain.length);
    assert.equal(summary.totals.copied, keyCount);
    // The product's own verification compared every key of the file with the cluster, values included.
    assertVerifiedClean(summary, 'full', keyCount);

    // Independently of the product: the snapshot's server and the cluster, key by key (type, value, TTL within 1 s).
    await assertSameOnCluster(source, target, keyCount);

    const record = await stack.migrationState(MIGRATION_ID).load();
    assert.equal(record?.status, 'finished');
    const store = stack.checkpoints(MIGRATION_ID);
    const plan = await store.loadPlan();
    assert.equal(plan?.rdb?.uri, `s3://${BUCKET}/${OBJECT}`);
    assert.match(plan?.rdb?.version ?? '', /^etag /, "the object's ETag is stored with the plan");
    assert.deepEqual(record?.rdb, plan?.rdb, 'on the migration item, which the slices read (they load no plan)');
    const units = (await store.listUnits()).map((u) => u.checkpoint);
    assert.deepEqual(
      units.map((u) => u.status),
      ['done', 'done', 'done', 'done'],
    );
    assertCopiedInSlices(stack.workflow.invocations, units);
  });

  it('refuses to go on from a replaced object (another ETag): the run fails at plan, the target untouched', async () => {
    const db0 = source.client({ db: 0 });
    await db0.set('added-after-the-backup', 'x');
    db0.disconnect();
    await s3.putObject(BUCKET, OBJECT, { path: await saveRdb(source, 'replaced') });
    const before = await Promise.all(target.masters.map((m) => m.client().dbsize()));

    const config = { rdb: { s3Uri: `s3://${BUCKET}/${OBJECT}` }, target: { addresses: [target.seed.address] }, parallel: 4 };
    const chain = await stack.workflow.start({ migrationId: MIGRATION_ID, config }, `${MIGRATION_ID}-again`);
    const last = lastExecution(chain);
    assert.equal(last.status, 'FAILED');
    assert.match(JSON.stringify(last.error), /RestoreFileChangedError/);
    assert.match(JSON.stringify(last.error), /put the original file back/);
    assert.deepEqual(await Promise.all(target.masters.map((m) => m.client().dbsize())), before, 'nothing was written');
    const record = await stack.migrationState(MIGRATION_ID).load();
    assert.equal(record?.activeRun, undefined, 'the refused run released the migration');
  });
});
