import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { settingsFromContext } from '../../infra/app-context.js';

const settingsOf = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node).settings;

describe('CDK context (cdk.json, -c redis-ferry:KEY=VALUE)', () => {
  it('reads the slice budgets and the slices per unit execution', () => {
    const settings = settingsOf({
      'redis-ferry:copyTimeBudgetMs': '250',
      'redis-ferry:verifyTimeBudgetMs': 400,
      'redis-ferry:maxSlicesPerUnitExecution': '3',
    });
    assert.equal(settings.copyTimeBudget?.toMilliseconds(), 250);
    assert.equal(settings.verifyTimeBudget?.toMilliseconds(), 400);
    assert.equal(settings.maxSlicesPerUnitExecution, 3);
  });

  it('leaves them to the construct when absent', () => {
    const settings = settingsOf({});
    assert.deepEqual(
      [settings.copyTimeBudget, settings.verifyTimeBudget, settings.maxSlicesPerUnitExecution],
      [undefined, undefined, undefined],
    );
  });

  it('names every malformed number at once', () => {
    assert.throws(
      () => settingsOf({ 'redis-ferry:copyTimeBudgetMs': '1s', 'redis-ferry:memorySize': 'big' }),
      (error: Error) =>
        error.message.includes('redis-ferry:copyTimeBudgetMs must be a number (got "1s")') &&
        error.message.includes('redis-ferry:memorySize must be a number (got "big")'),
    );
  });

  it('reads the bucket and prefix RDB snapshots are restored from', () => {
    const settings = settingsOf({ 'redis-ferry:rdbBucket': 'orders-backups', 'redis-ferry:rdbPrefix': 'elasticache/' });
    assert.deepEqual([settings.rdbBucket, settings.rdbPrefix], ['orders-backups', 'elasticache/']);
    assert.deepEqual([settingsOf({}).rdbBucket, settingsOf({}).rdbPrefix], [undefined, undefined]);
  });
});
