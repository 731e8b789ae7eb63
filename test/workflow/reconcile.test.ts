import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Redis } from 'ioredis';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, stopAll } from '../helpers/index.js';
import { type LocalStack, lastExecution, startLocalStack } from './helpers/local-stack.js';

/**
 * A scheduled re-sync in `reconcile` mode, through the synthesized state machine run locally
 * (aws-local-stepfunctions over the esbuild bundles, dynalite, real redis-server): after a first
 * copy the source changes (keys changed, added, deleted); the execution the schedule starts
 * leaves the target identical, having written only the changed and added keys and deleted the
 * removed ones, then a second pass over an unchanged source writes nothing.
 */

let source: RedisServer;
let target: RedisServer;
let stack: LocalStack;
/** The execution input the synthesized schedule passes, with the scheduled time left as a placeholder. */
let scheduleInput: string;

const config = () => ({ source: { addresses: [source.address] }, target: { addresses: [target.address] }, scan: { count: 10 } });

interface RunOutput {
  migrationId: string;
  totals: { copied: number };
  reconcile?: { compared: number; missing: number; different: number; unchanged: number; targetChecked: number; deleted: number };
  verify?: { mismatches: number };
}

/** Starts the execution the schedule would start at `time`, and returns its final output. */
async function scheduledRun(time: string, name: string): Promise<RunOutput> {
  const input = JSON.parse(scheduleInput.replace('<aws.scheduler.scheduled-time>', time));
  const chain = await stack.workflow.start(input, name);
  assert.equal(lastExecution(chain).status, 'SUCCEEDED', JSON.stringify(lastExecution(chain).error));
  assert.ok(chain.length > 1, 'several rounds: the reconcile state survives a continue-as-new');
  return lastExecution(chain).output as RunOutput;
}

/**
 * RESTOREs the target carried out since its stats were reset: every key written. Each session's
 * access probe is a RESTORE of an invalid payload, which the target refuses (a failed call).
 */
async function restoresOnTarget(): Promise<number> {
  const stats = String(await target.client().info('commandstats'));
  const line = /cmdstat_restore:(\S+)/.exec(stats)?.[1] ?? '';
  const field = (name: string) => Number(new RegExp(`(?:^|,)${name}=(\\d+)`).exec(line)?.[1] ?? 0);
  return field('calls') - field('failed_calls');
}

/** The sum of one metric over the EMF documents the copy slices of `migrationId` published. */
function metricSum(migrationId: string, name: string): number {
  let sum = 0;
  for (const line of stack.logs.lines) {
    if (!line.startsWith('{"_aws"')) continue;
    const doc = JSON.parse(line) as Record<string, unknown>;
    if (doc.MigrationId === migrationId && doc.Task === 'copy' && typeof doc[name] === 'number') sum += doc[name] as number;
  }
  return sum;
}

async function assertIdentical(): Promise<void> {
  for (const db of [0, 1]) await assertSameData(source.client({ db }), target.client({ db }));
}

before(async () => {
  [source, target] = await Promise.all([startRedis(), startRedis()]);
  const db0: Redis = source.client({ db: 0 });
  await seedMixedDataset(db0, { perType: 5 });
  await seedStrings(db0, 150, 'k:');
  await seedStrings(source.client({ db: 1 }), 60, 'one:');

  // Short slices and a small slice budget: every phase (copy, delete, verify) spans slices and rounds.
  stack = await startLocalStack({
    maxConcurrency: 2,
    copyTimeBudget: Duration.millis(2),
    verifyTimeBudget: Duration.millis(2),
    maxSlicesPerUnitExecution: 4,
    tableRemovalPolicy: RemovalPolicy.DESTROY,
    schedule: { expression: 'rate(1 day)', mode: 'reconcile', input: { config: config() } },
  });
  const schedules = Object.values(stack.app.template.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');
  assert.equal(schedules.length, 1);
  scheduleInput = String((schedules[0]!.Properties as { Target: { Input: string } }).Target.Input);
});

after(async () => {
  await Promise.all([stack?.stop(), stopAll()]);
});

describe('Scheduled re-sync in reconcile mode, run locally', () => {
  it('writes only the keys that changed or were added, deletes the removed ones, and leaves the target identical', async () => {
    const first = lastExecution(await stack.workflow.start({ migrationId: 'first-copy', config: config() }, 'first-copy'));
    assert.equal(first.status, 'SUCCEEDED', JSON.stringify(first.error));
    await assertIdentical();
    const keysBefore = (await source.client({ db: 0 }).dbsize()) + (await source.client({ db: 1 }).dbsize());

    // 5 values, 1 hash field, 1 TTL changed; 4 keys added; 3 deleted (over both dbs).
    const db0 = source.client({ db: 0 });
    const db1 = source.client({ db: 1 });
    for (const i of [1, 2, 3, 4]) await db0.set(`k:${i}`, `changed-${i}`);
    await db1.set('one:7', 'changed');
    const hashKey = (await Promise.all((await db0.keys('*')).map(async (k) => ((await db0.type(k)) === 'hash' ? k : undefined)))).find(
      Boolean,
    )!;
    assert.ok(hashKey);
    await db0.hset(hashKey, 'reconciled', 'yes');
    await db0.pexpire('k:20', 7_200_000);
    for (const i of [1, 2, 3]) await db0.set(`added:${i}`, `new-${i}`);
    await db1.set('added:one', 'new');
    await db0.del('k:30', 'k:31');
    await db1.del('one:40');
    await target.client().config('RESETSTAT');

    const out = await scheduledRun('2026-01-02T03:00:00Z', 'reconcile-run-1');
    assert.equal(out.migrationId, 'reconcile-20260102T030000Z');
    await assertIdentical();
    assert.equal(await restoresOnTarget(), 11, 'only the 7 changed and 4 added keys were written');
    assert.equal(out.totals.copied, 11);
    const compared = keysBefore + 4 - 3;
    assert.deepEqual(out.reconcile, {
      compared,
      missing: 4,
      different: 7,
      unchanged: compared - 11,
      targetChecked: keysBefore + 4,
      deleted: 3,
    });
    assert.equal(out.verify?.mismatches, 0);
    // The slices' metrics say the same (their EMF documents, captured with the logs).
    assert.equal(metricSum(out.migrationId, 'KeysCopied'), 11);
    assert.equal(metricSum(out.migrationId, 'KeysDeleted'), 3);
  });

  it('writes nothing when the source has not changed since the last pass', async () => {
    await target.client().config('RESETSTAT');
    const out = await scheduledRun('2026-01-03T03:00:00Z', 'reconcile-run-2');
    assert.equal(out.migrationId, 'reconcile-20260103T030000Z');
    assert.equal(await restoresOnTarget(), 0);
    assert.equal(out.reconcile?.different, 0);
    assert.equal(out.reconcile?.missing, 0);
    assert.equal(out.reconcile?.deleted, 0);
    await assertIdentical();
  });

  it('refuses to reconcile under the id of a copy migration, touching nothing', async () => {
    await target.client().config('RESETSTAT');
    const refused = lastExecution(
      await stack.workflow.start({ migrationId: 'first-copy', reconcile: true, config: config() }, 'first-copy-reconcile'),
    );
    assert.equal(refused.status, 'FAILED');
    assert.equal(refused.error?.name, 'ConfigError');
    assert.match(refused.error!.cause, /migration first-copy was started for a different source, target or key selection/);
    assert.equal(await restoresOnTarget(), 0);
  });
});
