import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RetryableMigrationError, toTaskError } from '../../src/cloud/cloud-errors.js';
import { parseCloudConfig, parseExecutionInput, resolveMigrationId, toExecutionInput } from '../../src/cloud/execution-input.js';
import { MAX_EXECUTION_NAME, roundExecutionName, scheduledMigrationId, startExecutionName } from '../../src/cloud/execution-names.js';
import { applySecrets, parseSecretValue } from '../../src/cloud/secret-refs.js';
import { sliceDeadline } from '../../src/cloud/slice-deadline.js';
import { describeTaskError } from '../../src/cloud/task-failure.js';
import { parseConfig } from '../../src/core/config.js';
import { type ConfigError, InternalError, SourceUnavailableError, TargetKeyExistsError } from '../../src/core/errors.js';

const SRC = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/source-AbCdEf';
const TGT = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:redis-ferry/target-GhIjKl';
const cloudConfig = () => ({
  source: { addresses: ['10.0.0.5:6379'], passwordSecretArn: SRC },
  target: { addresses: ['10.0.1.7:6379'], username: 'ferry', passwordSecretArn: TGT },
});

describe('Function: parseCloudConfig', () => {
  it('splits secret ARNs from the config and validates the rest', () => {
    const cloud = parseCloudConfig(cloudConfig());
    assert.equal(cloud.kind, 'copy');
    if (cloud.kind !== 'copy') return;
    assert.deepEqual(cloud.refs, { source: { passwordSecretArn: SRC }, target: { passwordSecretArn: TGT } });
    assert.equal((cloud.input.source as Record<string, unknown>).passwordSecretArn, undefined);
    assert.equal(cloud.config.target.username, 'ferry');
    assert.deepEqual(cloud.stored, cloudConfig(), 'the stored form keeps the ARNs as given');
  });

  it('accepts follow mode, and refuses follow.configSet: on AWS the flags come from the parameter group', () => {
    const followed = parseCloudConfig({ ...cloudConfig(), follow: { enabled: true } });
    assert.ok(followed.kind === 'copy');
    assert.equal(followed.config.follow.enabled, true);
    assert.throws(
      () => parseCloudConfig({ ...cloudConfig(), follow: { enabled: true, configSet: true } }),
      (error: ConfigError) =>
        /follow\.configSet: the workflow does not change the source's configuration.*parameter group/.test(error.message),
    );
  });

  it('refuses plaintext passwords, bad ARNs and local files, all at once, without echoing the password', () => {
    const raw = {
      source: { addresses: ['10.0.0.5:6379'], password: 'hunter2', tls: { enabled: true, caFile: '/etc/ca.pem' } },
      target: { addresses: ['nope'], passwordSecretArn: 'arn:aws:s3:::bucket' },
    };
    assert.throws(
      () => parseCloudConfig(raw),
      (error: ConfigError) => {
        const text = error.problems.join('\n');
        for (const needle of [
          'config.source.password',
          'config.target.passwordSecretArn',
          'config.source.tls.caFile',
          'config.target.addresses[0]',
        ])
          assert.ok(text.includes(needle), `${needle} in\n${text}`);
        assert.ok(!text.includes('hunter2'));
        return true;
      },
    );
  });
});

describe('Function: parseCloudConfig, a restore from S3 ({"rdb": {"s3Uri"}})', () => {
  const restoreConfig = () => ({
    rdb: { s3Uri: 's3://orders-backups/elasticache/orders-0001.rdb' },
    target: { addresses: ['10.0.1.7:6379'], passwordSecretArn: TGT },
    verify: 'full',
  });

  it('reads the snapshot URI in place of a source, and the target secret as for a copy', () => {
    const cloud = parseCloudConfig(restoreConfig());
    assert.equal(cloud.kind, 'restore');
    if (cloud.kind !== 'restore') return;
    assert.equal(cloud.config.rdb.uri, 's3://orders-backups/elasticache/orders-0001.rdb');
    assert.equal(cloud.config.verify, 'full');
    assert.deepEqual(cloud.refs, { source: {}, target: { passwordSecretArn: TGT } });
    assert.deepEqual(cloud.stored, restoreConfig(), 'the stored form keeps rdb.s3Uri and the ARN as given');
    assert.match(resolveMigrationId({ kind: 'start', config: restoreConfig() }, cloud), /^rdb-[0-9a-f]{12}$/);
  });

  it('refuses a local path, a bad URI, a source endpoint and options a restore does not have, all at once', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { ...restoreConfig(), rdb: { path: '/backups/dump.rdb' } },
        /config\.rdb: unknown field\(s\) path[\s\S]*config\.rdb\.s3Uri: is required/,
      ],
      [{ ...restoreConfig(), rdb: { s3Uri: 's3://Bad_Bucket/dump.rdb' } }, /config\.rdb\.s3Uri: bad S3 URI "s3:\/\/Bad_Bucket\/dump\.rdb"/],
      [{ ...restoreConfig(), rdb: 's3://b/k' }, /config\.rdb: must be \{ "s3Uri": "s3:\/\/bucket\/key" \}/],
      [
        { ...restoreConfig(), source: { addresses: ['10.0.0.5:6379'] }, follow: { enabled: true } },
        /config\.source: a restore reads the RDB snapshot[\s\S]*config\.follow: unknown option/,
      ],
    ];
    for (const [raw, problem] of cases) {
      assert.throws(
        () => parseCloudConfig(raw),
        (error: ConfigError) => problem.test(error.problems.join('\n')) || assert.fail(error.problems.join('\n')),
      );
    }
  });

  it('applies the target secret without inventing a source endpoint', async () => {
    const cloud = parseCloudConfig(restoreConfig());
    const applied = await applySecrets(cloud.input, cloud.refs, async () => ({ password: 'pw', username: 'ferry' }));
    assert.equal('source' in applied, false);
    assert.deepEqual((applied as { target: unknown }).target, { addresses: ['10.0.1.7:6379'], password: 'pw', username: 'ferry' });
  });
});

describe('Function: parseExecutionInput', () => {
  it('tells a start from a later round, and checks both', () => {
    assert.equal(parseExecutionInput({ config: cloudConfig() }).kind, 'start');
    assert.equal(
      parseExecutionInput({ migrationId: 'm-1', runId: 'm-1', round: 2, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: 'arn:x' }).kind,
      'continue',
    );
    assert.throws(() => parseExecutionInput({ migrationId: 'bad id', config: {} }), /input.migrationId/);
    assert.throws(() => parseExecutionInput({ config: cloudConfig(), surprise: 1 }), /unknown field\(s\) surprise/);
    assert.throws(
      () => parseExecutionInput({ migrationId: 'm', scheduledTime: '2025-01-01T00:00:00Z', config: {} }),
      /either migrationId or scheduledTime/,
    );
    assert.throws(() => parseExecutionInput({ runId: 'r', round: 0, migrationId: 'm' }), /input.round/);
  });

  it('derives the migration id: given, from the schedule time, else from the config', () => {
    const cloud = parseCloudConfig(cloudConfig());
    assert.equal(resolveMigrationId({ kind: 'start', migrationId: 'orders', config: {} }, cloud), 'orders');
    assert.equal(
      resolveMigrationId({ kind: 'start', scheduledTime: '2025-03-01T03:00:00Z', migrationIdPrefix: 'nightly', config: {} }, cloud),
      'nightly-20250301T030000Z',
    );
    assert.match(resolveMigrationId({ kind: 'start', config: {} }, cloud), /^m-[0-9a-f]{12}$/);
    assert.throws(() => scheduledMigrationId('x', 'yesterday'), /not a timestamp/);
  });
});

describe('Function: toExecutionInput', () => {
  it('turns password ARNs of a loaded config into secret refs', () => {
    const config = parseConfig({
      source: { addresses: ['10.0.0.5:6379'], password: SRC },
      target: { addresses: ['10.0.1.7:6379'], password: TGT, sentinelPassword: SRC },
    });
    const input = toExecutionInput(config, 'orders');
    assert.equal(input.migrationId, 'orders');
    const json = JSON.stringify(input);
    assert.ok(json.includes(`"passwordSecretArn":"${SRC}"`) && json.includes(`"sentinelPasswordSecretArn":"${SRC}"`));
    assert.ok(!json.includes('"password"'), json);
  });

  it('refuses a plaintext password, naming the setting and not the value', () => {
    const config = parseConfig({ source: { addresses: ['10.0.0.5:6379'], password: 'hunter2' }, target: { addresses: ['10.0.1.7:6379'] } });
    assert.throws(
      () => toExecutionInput(config),
      (error: ConfigError) =>
        error.problems.length === 1 &&
        /source password: .*Secrets Manager secret ARN/.test(error.problems[0]!) &&
        !error.message.includes('hunter2'),
    );
  });
});

describe('Function: secrets', () => {
  it('reads a bare password or JSON with password and username', () => {
    assert.deepEqual(parseSecretValue(SRC, 'pw'), { password: 'pw' });
    assert.deepEqual(parseSecretValue(SRC, '{"password":"pw","username":"ferry"}'), { password: 'pw', username: 'ferry' });
    assert.deepEqual(parseSecretValue(SRC, '{not json'), { password: '{not json' });
    assert.throws(
      () => parseSecretValue(SRC, '{"pass":"pw"}'),
      (e: ConfigError) => /without a string "password"/.test(e.message) && !e.message.includes('pw"'),
    );
    assert.throws(() => parseSecretValue(SRC, undefined), /binary secrets/);
  });

  it('fills passwords in, and a username only where the config names none', async () => {
    const cloud = parseCloudConfig(cloudConfig());
    const filled = await applySecrets(cloud.input, cloud.refs, async (arn) =>
      arn === SRC ? { password: 'a', username: 'from-secret' } : { password: 'b', username: 'ignored' },
    );
    const config = parseConfig(filled);
    assert.equal(config.source.password, 'a');
    assert.equal(config.source.username, 'from-secret');
    assert.equal(config.target.password, 'b');
    assert.equal(config.target.username, 'ferry');
  });
});

describe('Function: execution names', () => {
  it('names rounds after their run, uniquely and within 80 characters', () => {
    assert.equal(startExecutionName('orders'), 'orders');
    assert.equal(startExecutionName('orders', 'restart-1'), 'orders.restart-1');
    const long = 'x'.repeat(80);
    const names = [
      roundExecutionName('orders', 1),
      roundExecutionName('orders', 2),
      roundExecutionName(long, 12345),
      roundExecutionName(`${long.slice(0, 79)}y`, 12345),
    ];
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.ok(name.length <= MAX_EXECUTION_NAME && /^[A-Za-z0-9_.-]+$/.test(name), name);
    assert.match(names[0]!, /^orders-[0-9a-f]{8}-r1$/);
  });
});

describe('Function: task errors', () => {
  it('throws retryable engine errors under one name, and the rest as they are', () => {
    const retryable = new SourceUnavailableError('source x: connection refused', { retryable: true });
    const thrown = toTaskError(retryable) as RetryableMigrationError;
    assert.equal(thrown.name, 'RetryableMigrationError');
    assert.equal(thrown.message, 'SourceUnavailableError: source x: connection refused');
    const fatal = new TargetKeyExistsError(Buffer.from('k'), 'target already has key k');
    assert.equal(toTaskError(fatal), fatal);
  });

  it('names a plain Error that reached the task InternalError, keeping it as the cause', () => {
    const plain = new Error('Connection is closed.');
    const thrown = toTaskError(plain) as InternalError;
    assert.ok(thrown instanceof InternalError);
    assert.equal(thrown.name, 'InternalError');
    assert.equal(thrown.cause, plain);
    assert.match(thrown.message, /unclassified error left the task \(Connection is closed\.\)/);
    const named = new RangeError('slot 16384 is outside 0-16383');
    assert.equal(toTaskError(named), named, 'an error with a name of its own passes as it is');
  });

  it('reads a Lambda error cause, unwrapping RetryableMigrationError', () => {
    const lambdaCause = JSON.stringify({
      errorType: 'RetryableMigrationError',
      errorMessage: 'SourceUnavailableError: source x: refused',
      trace: [],
    });
    assert.deepEqual(describeTaskError({ Error: 'RetryableMigrationError', Cause: lambdaCause }), {
      error: 'SourceUnavailableError',
      message: 'source x: refused (still failing after retries)',
    });
    assert.deepEqual(describeTaskError({ Error: 'TargetKeyExistsError', Cause: 'plain text' }), {
      error: 'TargetKeyExistsError',
      message: 'plain text',
    });
    assert.deepEqual(describeTaskError(undefined), { error: 'Error', message: 'Error' });
  });
});

describe('Function: sliceDeadline', () => {
  it('keeps the safety margin, never more than half the time left, and honours the budget', () => {
    assert.equal(sliceDeadline({ nowMs: 0, remainingMs: 900_000, safetyMarginMs: 60_000 }), 840_000);
    assert.equal(sliceDeadline({ nowMs: 0, remainingMs: 30_000, safetyMarginMs: 60_000 }), 15_000);
    assert.equal(sliceDeadline({ nowMs: 0, remainingMs: 900_000, safetyMarginMs: 60_000, budgetMs: 5_000 }), 5_000);
  });
});
