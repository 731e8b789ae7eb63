import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as cloudErrors from '../../src/cloud/cloud-errors.js';
import * as coreErrors from '../../src/core/errors.js';
import * as rdbErrors from '../../src/rdb/rdb-errors.js';
import * as s3Errors from '../../src/rdb-s3/s3-errors.js';
import { ConnectionClosedError, ConnectTimeoutError } from '../../src/redis/redis-errors.js';
import * as structErrors from '../../src/struct/errors.js';
import { TypeChangedError } from '../../src/struct/reader-context.js';
import { buildStack, cleanupApps } from './helpers.js';

after(cleanupApps);

const cause = new Error('the root of it');
const key = Buffer.from('k');

/** One instance of every error class the engine and the tasks throw, each given `cause` where it wraps one. */
const wrapping: Error[] = [
  new coreErrors.MigrationError('m', { cause }),
  new coreErrors.ConfigError(['p'], { cause }),
  new coreErrors.CheckpointConflictError('c', { cause }),
  new coreErrors.TargetKeyExistsError(key, 'k exists', { cause }),
  new coreErrors.TargetNotEmptyError('not empty', { cause }),
  new coreErrors.SourceUnavailableError('source', { cause }),
  new coreErrors.TargetUnavailableError('target', { cause }),
  new coreErrors.RestoreRejectedError(key, 'rejected', { cause }),
  new coreErrors.PayloadTooLargeError(key, 'too large', { cause }),
  new coreErrors.MigrationInterruptedError('stopped', { cause }),
  new coreErrors.InternalError('broken', { cause }),
  new coreErrors.BigKeyCopierMissingError(key, 'no copier', { cause }),
  new coreErrors.RedisFunctionsError('functions', { cause }),
  new coreErrors.FollowSetupError('follow', { cause }),
  new coreErrors.RestoreFileChangedError('changed', { cause }),
  new cloudErrors.RetryableMigrationError(cause),
  new cloudErrors.SliceDeadlineError(0, { cause }),
  new cloudErrors.FollowFailedError('unit db0, following: failed', { cause }),
  new cloudErrors.FollowerKilledError('db0', { cause }),
  new structErrors.TempKeyLostError(key, 'lost', { cause }),
  new TypeChangedError({ cause }),
  new rdbErrors.RdbFormatError('bad byte', 12, { cause }),
  new rdbErrors.RdbUnsupportedError('newer version', 5, { cause }),
  new rdbErrors.RdbSourceError('cannot read', { cause }),
  new s3Errors.S3UriError('s3://b', 'no key', { cause }),
  new s3Errors.S3SourceError('missing', { cause }),
  new s3Errors.S3ObjectChangedError('changed', { cause }),
];
/** Errors with nothing to wrap: a bad environment, a wiring bug. */
const standalone: Error[] = [new cloudErrors.LambdaSettingsError(['TABLE_NAME is not set']), new cloudErrors.NoSecretsError('report')];
const engineErrors = [...wrapping, ...standalone];

/** The error classes a module exports. */
const errorClasses = (module: Record<string, unknown>) =>
  Object.values(module).filter((v): v is new (...args: never[]) => Error => typeof v === 'function' && v.prototype instanceof Error);

/** Every ErrorEquals of every Retry and Catch, in every state machine of the stack (nested Maps included). */
function matchedErrorNames(): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if ((k === 'Retry' || k === 'Catch') && Array.isArray(v))
          for (const rule of v) for (const n of rule.ErrorEquals ?? []) names.add(n);
        visit(v);
      }
    }
  };
  const machines = buildStack().template().findResources('AWS::StepFunctions::StateMachine');
  for (const machine of Object.values(machines)) {
    const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
    visit(JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'ref')).join('')));
  }
  return names;
}

describe('Error names: what Step Functions matches on', () => {
  it('has an instance above of every error class the engine and the tasks export', () => {
    const exported = [coreErrors, cloudErrors, structErrors, rdbErrors, s3Errors].flatMap((m) =>
      errorClasses(m as Record<string, unknown>),
    );
    for (const cls of [...exported, TypeChangedError]) {
      assert.ok(
        engineErrors.some((e) => e.constructor === cls),
        `${cls.name} has no instance in this test`,
      );
    }
  });

  it('names every error after its class, as a MigrationError, and passes the cause through', () => {
    for (const error of engineErrors) {
      assert.equal(error.name, error.constructor.name);
      assert.ok(error instanceof coreErrors.MigrationError, `${error.name} is a MigrationError`);
    }
    for (const error of wrapping) assert.equal(error.cause, cause, `${error.name} keeps its cause`);
  });

  it('names the errors the pipe makes of a broken connection, with the socket code they are classified by', () => {
    assert.deepEqual(
      [new ConnectionClosedError().name, new ConnectionClosedError().code],
      ['ConnectionClosedError', 'ERR_CONNECTION_CLOSED'],
    );
    assert.deepEqual([new ConnectTimeoutError(1_000).name, new ConnectTimeoutError(1_000).code], ['ConnectTimeoutError', 'ETIMEDOUT']);
  });

  it("matches in the state machines' Retry and Catch only AWS names and the names of engine error classes", () => {
    const names = matchedErrorNames();
    const engineNames = [...names].filter((n) => !/^(States|Lambda|Sandbox|StepFunctions)\./.test(n));
    assert.ok(engineNames.includes('RetryableMigrationError'), 'the engine retrier is in the machine');
    for (const name of engineNames) {
      assert.ok(
        engineErrors.some((e) => e.name === name),
        `${name} is matched by the state machine but no error class has that name`,
      );
    }
  });
});
