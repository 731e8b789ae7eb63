import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkStartInput, parseExecutionInput } from '../../src/cloud/execution-input.js';
import { reconcileConfig, runIdentity } from '../../src/cloud/reconcile-run.js';
import { ConfigError } from '../../src/core/errors.js';

const config = (extra: Record<string, unknown> = {}) => ({
  source: { addresses: ['10.0.0.5:6379'] },
  target: { addresses: ['10.0.1.7:6379'] },
  ...extra,
});

describe('Execution input: reconcile', () => {
  it('takes "reconcile": true on a start, derives an "r-" id of its own, and replaces what differs', () => {
    const input = parseExecutionInput({ reconcile: true, config: config() });
    assert.equal(input.kind === 'start' && input.reconcile, true);
    const { cloud, migrationId } = checkStartInput(input as Extract<typeof input, { kind: 'start' }>);
    assert.ok(cloud.kind === 'copy');
    assert.match(migrationId, /^r-[0-9a-f]{12}$/);
    assert.equal(migrationId, runIdentity(cloud.config, true));
    assert.notEqual(runIdentity(cloud.config, true), runIdentity(cloud.config, false), 'a copy and a reconcile are different migrations');
    assert.equal(reconcileConfig(cloud.config, true).onExistingKey, 'replace');
    assert.equal(reconcileConfig(cloud.config, false).onExistingKey, cloud.config.onExistingKey);
    assert.throws(() => parseExecutionInput({ reconcile: 'yes', config: config() }), /input.reconcile/);
  });

  it('refuses a reconcile in struct mode or as a dry run, saying what to change', () => {
    const start = (extra: Record<string, unknown>) => () =>
      checkStartInput({ kind: 'start', reconcile: true, config: config(extra) } as Parameters<typeof checkStartInput>[0]);
    assert.throws(start({ mode: 'struct' }), (error: ConfigError) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /input.reconcile: compares DUMP payloads.*set config.mode to "dump"/);
      return true;
    });
    assert.throws(start({ dryRun: true }), /input.reconcile: has no dry run/);
    // The same config without reconcile is a valid copy.
    assert.doesNotThrow(() => checkStartInput({ kind: 'start', config: config({ mode: 'struct' }) }));
  });
});
