import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Redis } from 'ioredis';
import { STATE } from '../../infra/constructs/migration-state-machine.js';
import type { ExecutionRecord, InvokeHook } from '../../src/rehearse/local-workflow.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis, stopAll, waitUntil } from '../helpers/index.js';
import { type LocalStack, lambdaError, lastExecution, SOURCE_SECRET, startLocalStack, TARGET_SECRET } from './helpers/local-stack.js';
import { assertVerifiedClean, type RunSummary } from './helpers/run-summary.js';
import { assertCopiedInSlices, capCopySlices } from './helpers/sliced-copy.js';

/**
 * The synthesized state machine, run by aws-local-stepfunctions against the esbuild bundles from
 * the cloud assembly, real redis-server processes and DynamoDB's API (dynalite): standalone →
 * standalone, many short slices, several rounds, lost Lambda responses, a zombie invocation,
 * a key conflict with restart, a second run refused, a scheduled run.
 */

const SOURCE_PASSWORD = 'src-Secret-Pa55!word';
const TARGET_PASSWORD = 'tgt-Secret-Pa55?word';

let source: RedisServer;
let target: RedisServer;
let stack: LocalStack;
let keyCount = 0;

const config = (extra: Record<string, unknown> = {}) => ({
  source: { addresses: [source.address], passwordSecretArn: SOURCE_SECRET },
  target: { addresses: [target.address], passwordSecretArn: TARGET_SECRET },
  scan: { count: 10 },
  ...extra,
});

const allEvents = (chain: ExecutionRecord[]) => chain.flatMap((e) => e.events);

async function assertCopied(): Promise<void> {
  for (const db of [0, 1]) await assertSameData(source.client({ db }), target.client({ db }));
}

async function flushTarget(): Promise<void> {
  await target.client().flushall();
}

/** A hook giving the first copy slice of `unitId` a longer time budget (as the event field allows). */
function withFirstSliceBudget(unitId: string, budgetMs: number): InvokeHook {
  let given = false;
  return async (invocation, call) => {
    if (invocation.state === STATE.copy && invocation.payload.unitId === unitId && !given) {
      given = true;
      invocation.payload.timeBudgetMs = budgetMs;
    }
    return call();
  };
}

/**
 * Runs `migrationId` into an empty target on which, after the plan's preflight and before db0's
 * first slice, a source key appears. That slice gets time for the whole unit: with nothing to
 * resume, every batch is written with plain RESTORE, so the copy must stop at that key rather
 * than overwrite it. Asserts the readable failure and returns the key.
 */
async function failOnConflict(migrationId: string): Promise<Buffer> {
  await flushTarget();
  const [, keys] = (await source.client({ db: 0 }).scanBuffer('0', 'COUNT', 1000)) as [Buffer, Buffer[]];
  const conflictKey = keys[keys.length - 1]!;
  const longSlice = withFirstSliceBudget('db0', 60_000);
  let planted = false;
  stack.workflow.hook = async (invocation, call) => {
    if (invocation.state === STATE.copy && invocation.payload.unitId === 'db0' && !planted) {
      planted = true;
      await target.client({ db: 0 }).set(conflictKey, 'already here');
    }
    return longSlice(invocation, call);
  };
  const failed = lastExecution(await stack.workflow.start({ migrationId, config: config() }, migrationId));
  stack.workflow.hook = undefined;
  assert.equal(failed.status, 'FAILED');
  assert.equal(failed.error?.name, 'TargetKeyExistsError');
  assert.match(failed.error!.cause, new RegExp(`migration ${migrationId} failed: unit db0 \\(.*db0\\): target already has key`));
  return conflictKey;
}

before(async () => {
  [source, target] = await Promise.all([startRedis({ password: SOURCE_PASSWORD }), startRedis({ password: TARGET_PASSWORD })]);

  const db0: Redis = source.client({ db: 0 });
  keyCount = await seedMixedDataset(db0, { perType: 15 });
  await seedStrings(db0, 500, 'k:');
  await seedStrings(source.client({ db: 1 }), 200, 'one:');
  keyCount += 700;

  // Small slices and a small slice budget: many copy invocations and several rounds.
  stack = await startLocalStack(
    {
      secretArns: [SOURCE_SECRET, TARGET_SECRET],
      maxConcurrency: 2,
      copyTimeBudget: Duration.millis(2),
      maxSlicesPerUnitExecution: 4,
      tableRemovalPolicy: RemovalPolicy.DESTROY,
    },
    { [SOURCE_SECRET]: SOURCE_PASSWORD, [TARGET_SECRET]: JSON.stringify({ password: TARGET_PASSWORD }) },
  );
});

after(async () => {
  await Promise.all([stack?.stop(), stopAll()]);
});

describe('State machine: plan → Map(units: copy loop) → report, run locally', () => {
  it('copies standalone → standalone over many slices and rounds, through a lost response and a zombie invocation', async () => {
    let zombie: Promise<string> | undefined;
    let lostResponse = false;
    // Slices of 4 batches at most: the count of slices below cannot depend on the machine's speed.
    stack.workflow.hook = capCopySlices(async (invocation, call) => {
      if (invocation.state !== STATE.copy) return call();
      if (invocation.count === 3 && !lostResponse) {
        // The slice is done and checkpointed, but Step Functions never hears back.
        lostResponse = true;
        await call();
        throw lambdaError('Lambda.ServiceException', 'simulated: the response was lost');
      }
      if (invocation.count === 6 && !zombie) {
        // Step Functions gives up on an invocation that is still running: the retry takes the
        // unit over while the old one keeps copying until its next checkpoint is refused.
        const unitId = String(invocation.payload.unitId);
        const before = (await stack.checkpoints('e2e-main').loadUnit(unitId))?.version ?? 0;
        let settled = false;
        zombie = call().then(
          () => 'finished',
          (error: Error) => error.name,
        );
        void zombie.finally(() => (settled = true));
        await waitUntil(async () => settled || ((await stack.checkpoints('e2e-main').loadUnit(unitId))?.version ?? 0) >= before + 2, {
          description: 'the zombie to save a batch',
          intervalMs: 2,
        });
        throw lambdaError('Lambda.SdkClientException', 'simulated: lost contact with the invocation');
      }
      return call();
    });

    const chain = await stack.workflow.start({ migrationId: 'e2e-main', config: config() }, 'e2e-main');
    stack.workflow.hook = undefined;
    const zombieOutcome = await zombie;

    const last = lastExecution(chain);
    assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
    assert.ok(chain.length > 1, `the run continued as new executions (rounds: ${chain.length})`);
    assert.deepEqual(
      chain.slice(1).map((e) => (e.input as { round: number }).round),
      chain.slice(1).map((_, i) => i + 1),
    );
    const summary = last.output as RunSummary;
    assert.equal(summary.status, 'completed');
    // The verify phase (quick by default) ran after the copy, in its own slices, and found nothing.
    assertVerifiedClean(summary, 'quick', keyCount);
    assert.ok(stack.workflow.invocations.filter((i) => i.state === STATE.verify).length >= 2, 'each unit was verified');
    assert.equal(summary.units, 2);
    assert.equal(summary.rounds, chain.length);
    assert.ok(summary.totals.copied >= keyCount, `copied ${summary.totals.copied} of ${keyCount}`);

    const retried = allEvents(chain).filter((e) => e.type === 'StateRetried' && e.state.name === STATE.copy);
    assert.ok(retried.length >= 2, 'both faults were retried');
    // However the abandoned invocation ended (its slice done, or fenced out at a checkpoint), it
    // could not advance the unit after the retry took it over: the data and counters below prove it.
    assert.ok(zombieOutcome !== undefined, 'the abandoned invocation ran');

    await assertCopied();
    const record = await stack.migrationState('e2e-main').load();
    assert.equal(record?.status, 'finished');
    assert.equal(record?.activeRun, undefined, 'the claim is released');
    const units = await stack.checkpoints('e2e-main').listUnits();
    assert.deepEqual(
      units.map((u) => u.checkpoint.status),
      ['done', 'done'],
    );
    assertCopiedInSlices(
      stack.workflow.invocations,
      units.map((u) => u.checkpoint),
    );
  });

  it('keeps passwords out of the execution history and the logs, reading each secret once per container', () => {
    const history = JSON.stringify(stack.workflow.invocations) + stack.logs.lines.join('\n');
    assert.ok(stack.logs.lines.length > 0, 'the handlers logged');
    for (const password of [SOURCE_PASSWORD, TARGET_PASSWORD]) assert.ok(!history.includes(password), 'a password leaked');
    assert.ok(stack.secrets.requests.includes(SOURCE_SECRET) && stack.secrets.requests.includes(TARGET_SECRET));
    // Three functions read secrets (plan, copy, verify): at most one read per secret each, however many invocations.
    assert.ok(stack.secrets.requests.length <= 6, `secrets read ${stack.secrets.requests.length} times`);
  });

  it('fails with a readable cause on a key conflict, records it on the unit, and a restart resumes to completion', async () => {
    const conflictKey = await failOnConflict('e2e-conflict');
    const unit = await stack.checkpoints('e2e-conflict').loadUnitRecord('db0');
    assert.equal(unit?.checkpoint.status, 'failed');
    assert.equal(unit?.errorType, 'TargetKeyExistsError');
    const record = await stack.migrationState('e2e-conflict').load();
    assert.equal(record?.status, 'failed');
    assert.equal(record?.activeRun, undefined, 'a failed run releases the migration at once');

    await target.client({ db: 0 }).del(conflictKey);
    // The restart's first db0 slice has the time a deployed one has (minutes): it rewrites the
    // failed attempt's window in one go. Short restart slices: the next test.
    stack.workflow.hook = withFirstSliceBudget('db0', 60_000);
    const restarted = await stack.workflow.start({ migrationId: 'e2e-conflict', config: config() }, 'e2e-conflict.2');
    stack.workflow.hook = undefined;
    assert.equal(lastExecution(restarted).status, 'SUCCEEDED', JSON.stringify(lastExecution(restarted).error));
    await assertCopied();
  });

  it("completes a restart whose slices stop inside the failed attempt's rewrite window", async () => {
    // copyUnit must keep the frontier an earlier, failed attempt wrote up to when a slice stops
    // cleanly before passing it; otherwise the next slice meets that attempt's keys (BUSYKEY).
    const conflictKey = await failOnConflict('e2e-conflict-short');
    await target.client({ db: 0 }).del(conflictKey);
    const restarted = await stack.workflow.start({ migrationId: 'e2e-conflict-short', config: config() }, 'e2e-conflict-short.2');
    assert.equal(lastExecution(restarted).status, 'SUCCEEDED', JSON.stringify(lastExecution(restarted).error));
    await assertCopied();
  });

  it('fails the execution naming the keys that differ after the copy, and a restart verifies again without copying', async () => {
    await flushTarget();
    const changed = Buffer.from('k:7');
    let planted = false;
    stack.workflow.hook = async (invocation, call) => {
      if (invocation.state === STATE.verify && !planted) {
        // Between the copy and its verification, somebody changes a key on the target.
        planted = true;
        await target.client({ db: 0 }).set(changed, 'changed on the target');
        await target.client({ db: 1 }).del('one:3');
        await target.client({ db: 1 }).set('only:target', 'a key the source does not have');
      }
      return call();
    };
    const input = { migrationId: 'e2e-verify', config: config({ verify: 'full' }) };
    const failed = lastExecution(await stack.workflow.start(input, 'e2e-verify'));
    stack.workflow.hook = undefined;
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error?.name, 'VerificationFailed');
    assert.match(
      failed.error!.cause,
      /^3 keys differ \(0 allowed\): 1 missing, 1 value, 1 extra; e\.g\. missing "one:3"; value "k:7"; extra "only:target"\./,
    );
    assert.match(failed.error!.cause, /, \d+ target keys looked up on the source\./);
    const record = await stack.migrationState('e2e-verify').load();
    assert.equal(record?.status, 'failed');
    assert.equal(record?.activeRun, undefined, 'the claim is released');
    assert.equal((record!.verify as { mismatches: number }).mismatches, 3, 'the verify result is stored with the migration');
    const targetUnits = (record!.verify as { units: { unitId: string }[] }).units.filter((u) => u.unitId.startsWith('target/'));
    assert.deepEqual(
      targetUnits.map((u) => u.unitId),
      ['target/db0', 'target/db1'],
      'each target db was walked as its own unit',
    );

    await target.client({ db: 0 }).set(changed, (await source.client({ db: 0 }).getBuffer(changed))!);
    await target.client({ db: 1 }).set('one:3', (await source.client({ db: 1 }).getBuffer('one:3'))!);
    await target.client({ db: 1 }).del('only:target');
    const copiesBefore = stack.workflow.invocations.filter((i) => i.state === STATE.copy).length;
    const again = lastExecution(await stack.workflow.start(input, 'e2e-verify.2'));
    assert.equal(again.status, 'SUCCEEDED', JSON.stringify(again.error));
    assert.equal(stack.workflow.invocations.filter((i) => i.state === STATE.copy).length, copiesBefore, 'nothing was copied again');
    const summary = again.output as { verify: { checked: number; targetChecked: number; mismatches: number; level: string } };
    assert.deepEqual(
      [summary.verify.level, summary.verify.checked, summary.verify.targetChecked, summary.verify.mismatches],
      ['full', keyCount, keyCount, 0],
    );
  });

  it('refuses a second run of a migration that another run holds, touching nothing', async () => {
    await flushTarget();
    const state = stack.migrationState('e2e-busy');
    await state.claim('e2e-busy-first', { ttlMs: 600_000 });
    const second = lastExecution(await stack.workflow.start({ migrationId: 'e2e-busy', config: config() }, 'e2e-busy-second'));
    assert.equal(second.status, 'FAILED');
    assert.equal(second.error?.name, 'CheckpointConflictError');
    assert.match(second.error!.cause, /being run by execution e2e-busy-first/);
    assert.equal((await state.load())?.activeRun, 'e2e-busy-first');
    assert.equal(await target.client().dbsize(), 0);
  });

  it('retries a source that keeps dropping connections with backoff, then fails naming the engine error', async () => {
    // A listener of our own that hangs up on the first command: a transient-looking failure, on a
    // port no other test can take over meanwhile.
    const dropper = createServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const { port } = dropper.address() as AddressInfo;
    const input = {
      migrationId: 'e2e-unreachable',
      config: { ...config(), source: { addresses: [`127.0.0.1:${port}`], passwordSecretArn: SOURCE_SECRET } },
    };
    const chain = await stack.workflow.start(input, 'e2e-unreachable').finally(() => dropper.close());
    const failed = lastExecution(chain);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error?.name, 'SourceUnavailableError');
    assert.match(failed.error!.cause, /closed the connection.*still failing after retries/);
    const retries = allEvents(chain).filter((e) => e.type === 'StateRetried' && e.state.name === STATE.plan);
    assert.equal(retries.length, 5, 'the engine retrier ran its 5 attempts');
    const record = await stack.migrationState('e2e-unreachable').load();
    assert.equal(record?.activeRun, undefined, 'the failed plan released the migration: a restart need not wait');
    assert.equal(record?.status, 'failed');
  });

  it("Plan copies the source's Redis 7 functions to the target before any unit copies a key", async () => {
    await flushTarget();
    const mylib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";
    await source.client().call('FUNCTION', 'LOAD', mylib);
    try {
      let atFirstCopy: unknown[] | undefined;
      stack.workflow.hook = async (invocation, call) => {
        if (invocation.state === STATE.copy) atFirstCopy ??= (await target.client().call('FUNCTION', 'LIST')) as unknown[];
        return call();
      };
      const chain = await stack.workflow.start({ migrationId: 'e2e-functions', config: config() }, 'e2e-functions');
      stack.workflow.hook = undefined;
      assert.equal(lastExecution(chain).status, 'SUCCEEDED', JSON.stringify(lastExecution(chain).error));
      assert.equal(atFirstCopy?.length, 1, 'the library was on the target before the first copy slice');
      assert.equal(await target.client().call('FCALL', 'myfunc', '0', 'from the plan step'), 'from the plan step');
      assert.ok(
        stack.logs.lines.some((l) => /functions: copied 1 function library \(mylib, 1 function\)/.test(l)),
        'the plan step logged the copy',
      );
      await assertCopied();
    } finally {
      stack.workflow.hook = undefined;
      await Promise.all([source.client().call('FUNCTION', 'FLUSH'), target.client().call('FUNCTION', 'FLUSH')]);
    }
  });

  it('derives a new migration id from the schedule time, and refreshes an existing target with "replace"', async () => {
    const input = { migrationIdPrefix: 'nightly', scheduledTime: '2025-03-01T03:00:00Z', config: config({ onExistingKey: 'replace' }) };
    const chain = await stack.workflow.start(input, 'scheduled-run-1');
    assert.equal(lastExecution(chain).status, 'SUCCEEDED', JSON.stringify(lastExecution(chain).error));
    assert.equal((lastExecution(chain).output as { migrationId: string }).migrationId, 'nightly-20250301T030000Z');
    await assertCopied();
  });
});
