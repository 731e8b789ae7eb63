import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { type LocalDynamo, startLocalDynamo } from '../../src/checkpoint/local-dynamo.js';
import { type SfnLike, startCommand } from '../../src/cli/start-command.js';
import { statusCommand } from '../../src/cli/status-command.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import type { ConfigError, MigrationError } from '../../src/core/errors.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const SM = 'arn:aws:states:eu-west-1:123456789012:stateMachine:RedisFerryWorkflow';
const SRC = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/source-AbCdEf';
const TGT = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-ferry/target-GhIjKl';
const dir = mkdtempSync(join(tmpdir(), 'redis-ferry-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configFile(name: string, sourcePassword: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `[scan_reader]\naddress = "10.0.0.5:6379"\npassword = "${sourcePassword}"\n\n[redis_writer]\naddress = "10.0.1.7:6379"\npassword = "\${TARGET_SECRET_ARN}"\n`,
  );
  return path;
}

/** The AWS SDK mock the tests may use: Step Functions' StartExecution (and DescribeExecution). */
function fakeSfn(respond: (command: object) => unknown): SfnLike & { sent: object[] } {
  const sent: object[] = [];
  return {
    sent,
    async send(command: object) {
      sent.push(command);
      return respond(command);
    },
  };
}

describe('Command: start', () => {
  before(() => {
    process.env.TARGET_SECRET_ARN = TGT;
  });

  it('starts an execution named after the migration, with secret ARNs and no password in its input', async () => {
    const sfn = fakeSfn(() => ({ executionArn: `${SM.replace(':stateMachine:', ':execution:')}:orders`, startDate: new Date() }));
    const lines: string[] = [];
    assert.equal(await startCommand(configFile('ok.toml', SRC), { stateMachine: SM, id: 'orders' }, { sfn, out: (l) => lines.push(l) }), 0);
    assert.equal(sfn.sent.length, 1);
    const command = sfn.sent[0] as StartExecutionCommand;
    assert.ok(command instanceof StartExecutionCommand);
    assert.equal(command.input.stateMachineArn, SM);
    assert.equal(command.input.name, 'orders');
    const input = JSON.parse(command.input.input!);
    assert.equal(input.migrationId, 'orders');
    assert.equal(input.config.source.passwordSecretArn, SRC);
    assert.equal(input.config.target.passwordSecretArn, TGT, '${VAR} substitution still works');
    assert.ok(!command.input.input!.includes('"password"'));
    assert.match(lines.join('\n'), /Started migration orders: execution arn:aws:states:.*:execution:RedisFerryWorkflow:orders/);
  });

  it('derives the migration id when none is given, and prints the input without starting on --print', async () => {
    const sfn = fakeSfn(() => assert.fail('nothing may be started'));
    const lines: string[] = [];
    await startCommand(configFile('print.toml', SRC), { stateMachine: SM, print: true }, { sfn, out: (l) => lines.push(l) });
    const input = JSON.parse(lines.join('\n'));
    assert.match(input.migrationId, /^m-[0-9a-f]{12}$/);
    assert.equal(sfn.sent.length, 0);
  });

  it('refuses a plaintext password before calling AWS', async () => {
    const sfn = fakeSfn(() => assert.fail('nothing may be started'));
    await assert.rejects(
      startCommand(configFile('plain.toml', 'hunter2'), { stateMachine: SM }, { sfn }),
      (e: ConfigError) => /source password/.test(e.message) && !e.message.includes('hunter2'),
    );
    await assert.rejects(startCommand(configFile('ok2.toml', SRC), { stateMachine: 'not-an-arn' }, { sfn }), /--state-machine/);
    assert.equal(sfn.sent.length, 0);
  });

  it('starts a restore from a redis-shake [rdb_reader] config whose file is in S3; refuses a local file', async () => {
    // Prepare
    const restoreConfig = (name: string, filepath: string) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        `[rdb_reader]\nfilepath = "${filepath}"\n\n[redis_writer]\naddress = "10.0.1.7:6379"\npassword = "\${TARGET_SECRET_ARN}"\n`,
      );
      return path;
    };
    const sfn = fakeSfn(() => assert.fail('nothing may be started'));
    const lines: string[] = [];
    // Act
    await startCommand(
      restoreConfig('restore.toml', 's3://backups/orders/dump.rdb'),
      { stateMachine: SM, print: true },
      { sfn, out: (l) => lines.push(l) },
    );
    // Assess: the state machine's restore input, with the secret ARN and no password.
    const input = JSON.parse(lines.join('\n'));
    assert.match(input.migrationId, /^rdb-[0-9a-f]{12}$/);
    assert.deepEqual(input.config.rdb, { s3Uri: 's3://backups/orders/dump.rdb' });
    assert.equal(input.config.target.passwordSecretArn, TGT);
    assert.equal(input.config.source, undefined);
    assert.ok(!lines.join('\n').includes('"password"'));
    await assert.rejects(startCommand(restoreConfig('local.toml', '/backups/dump.rdb'), { stateMachine: SM }, { sfn }), (e: ConfigError) =>
      /\/backups\/dump\.rdb.*no local files.*s3:\/\/bucket\/key/.test(e.message),
    );
    assert.equal(sfn.sent.length, 0);
  });

  it('explains an execution that already ran, and --restart starts a new one under a new name', async () => {
    const sfn = fakeSfn((command) => {
      if (command instanceof DescribeExecutionCommand) return { status: 'FAILED' };
      if ((command as StartExecutionCommand).input.name === 'orders')
        throw Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
      return { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:RedisFerryWorkflow:new' };
    });
    await assert.rejects(
      startCommand(configFile('again.toml', SRC), { stateMachine: SM, id: 'orders' }, { sfn, out: () => {} }),
      (e: MigrationError) => /already ran .*FAILED.*--restart.*redrive-execution/.test(e.message),
    );
    assert.equal(
      await startCommand(configFile('again.toml', SRC), { stateMachine: SM, id: 'orders', restart: true }, { sfn, out: () => {} }),
      0,
    );
    const last = sfn.sent[sfn.sent.length - 1] as StartExecutionCommand;
    assert.match(last.input.name!, /^orders\.restart-\d{8}T\d{6}Z$/);
  });
});

describe('Command: status', () => {
  let dynamo: LocalDynamo;
  before(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.createTable('checkpoints');
    const state = new DynamoMigrationState(dynamo.client, 'checkpoints', 'orders');
    await state.claim('orders', {
      ttlMs: 60_000,
      round: 1,
      start: { config: { source: { passwordSecretArn: SRC } }, identity: 'm-x', dryRun: false },
    });
    const store = new DynamoCheckpointStore(dynamo.client, 'checkpoints', 'orders', { owner: 'orders/req-1', runId: 'orders' });
    await store.savePlan({
      migrationId: 'orders',
      createdAt: '2025-01-01T00:00:00.000Z',
      units: [
        { id: 'db0', label: '10.0.0.5:6379 db0', sourceDb: 0, targetDb: 0, sourceAddress: '10.0.0.5:6379' },
        { id: 'db1', label: '10.0.0.5:6379 db1', sourceDb: 1, targetDb: 1, sourceAddress: '10.0.0.5:6379' },
      ],
    });
    const counters = { ...newCheckpoint('db0').counters, scanned: 1500, copied: 1500, bytes: 2048, batches: 2 };
    await store.saveUnit({ ...newCheckpoint('db0'), status: 'done', counters });
    const running = await store.saveUnit({
      ...newCheckpoint('db1'),
      status: 'running',
      cursor: '1234',
      counters: { ...counters, copied: 700, scanned: 700 },
    });
    await store.recordUnitFailure('db1', { error: 'TargetKeyExistsError', message: 'target already has key k' });
    void running;
  });
  after(() => dynamo?.stop());

  it("shows the migration and each unit's progress", async () => {
    const lines: string[] = [];
    assert.equal(await statusCommand('orders', { table: 'checkpoints' }, { dynamo: dynamo.client, out: (l) => lines.push(l) }), 0);
    const text = lines.join('\n');
    assert.match(text, /Migration orders: running, 1\/2 units done, round 1/);
    assert.match(text, /copied\s+2,200 keys/);
    assert.match(text, /db0\s+10\.0\.0\.5:6379 db0\s+done\s+1,500/);
    assert.match(text, /db1\s+10\.0\.0\.5:6379 db1\s+failed\s+700/);
    assert.match(text, /failed db1: TargetKeyExistsError: target already has key k/);
    assert.ok(!text.includes(SRC), 'the config is not printed');
  });

  it('prints JSON, and names a missing migration or table', async () => {
    const lines: string[] = [];
    await statusCommand('orders', { table: 'checkpoints', json: true }, { dynamo: dynamo.client, out: (l) => lines.push(l) });
    const json = JSON.parse(lines.join('\n'));
    assert.equal(json.units.length, 2);
    assert.equal(json.totals.copied, 2200);
    assert.equal(json.migration.config, undefined);
    await assert.rejects(
      statusCommand('nope', { table: 'checkpoints' }, { dynamo: dynamo.client }),
      /no migration nope in table checkpoints/,
    );
    await assert.rejects(statusCommand('orders', { table: 'missing' }, { dynamo: dynamo.client }), /table missing does not exist/);
  });
});
