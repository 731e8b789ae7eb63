import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meterCopySlice, meteredSlice } from '../../lambdas/shared/slice-metering.js';
import { METRICS_NAMESPACE } from '../../src/cloud/deploy-names.js';
import { SliceMetrics } from '../../src/cloud/slice-metrics.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import { ConfigError, MigrationError } from '../../src/core/errors.js';

/**
 * The slices' metrics as CloudWatch will read them: the embedded-metric-format documents Powertools
 * writes to stdout (outside dev mode), captured here and parsed.
 */

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

// Dev mode (POWERTOOLS_DEV) turns metrics off; the Lambdas run without it.
delete process.env.POWERTOOLS_DEV;
delete process.env.POWERTOOLS_METRICS_DISABLED;

/** The EMF documents `publish` writes to stdout (Powertools' own Console writes through process.stdout). */
async function captureEmf(publish: () => unknown): Promise<EmfDocument[]> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await publish();
  } finally {
    process.stdout.write = write;
  }
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EmfDocument);
}

const declared = (doc: EmfDocument) => doc._aws.CloudWatchMetrics[0]!;
const units = (doc: EmfDocument) => Object.fromEntries(declared(doc).Metrics.map((m) => [m.Name, m.Unit]));

describe('slice metrics (EMF on stdout)', () => {
  it('publishes a copy slice with per-task and per-migration dimension sets', async () => {
    const metrics = new SliceMetrics('copy');
    const before = { ...newCheckpoint('db0'), counters: { ...newCheckpoint('db0').counters, copied: 100, bytes: 5_000, recopied: 2 } };
    const after = { ...before, counters: { ...before.counters, copied: 600, bytes: 30_000, recopied: 7 } };
    const [doc, ...rest] = await captureEmf(() => meterCopySlice(metrics, 'orders-1', { before, after, elapsedMs: 2_000 }));
    assert.equal(rest.length, 0);
    assert.equal(declared(doc!).Namespace, METRICS_NAMESPACE);
    assert.deepEqual(declared(doc!).Dimensions, [
      ['service', 'Task'],
      ['service', 'Task', 'MigrationId'],
    ]);
    assert.equal(doc!.service, 'redis-ferry');
    assert.equal(doc!.Task, 'copy');
    assert.equal(doc!.MigrationId, 'orders-1');
    assert.equal(doc!.Slices, 1);
    assert.equal(doc!.KeysCopied, 500);
    assert.equal(doc!.BytesCopied, 25_000);
    assert.equal(doc!.KeysRecopied, 5);
    assert.equal(doc!.KeysDeleted, 0);
    assert.equal(doc!.KeysPerSecond, 250);
    assert.deepEqual(units(doc!), {
      Slices: 'Count',
      KeysCopied: 'Count',
      BytesCopied: 'Bytes',
      KeysRecopied: 'Count',
      KeysDeleted: 'Count',
      KeysPerSecond: 'Count/Second',
    });
  });

  it("counts a reconcile delete slice's deletes", async () => {
    const metrics = new SliceMetrics('copy');
    const before = {
      ...newCheckpoint('target/db0'),
      reconcile: { compared: 0, missing: 0, different: 0, unchanged: 0, targetChecked: 10, deleted: 1 },
    };
    const after = { ...before, reconcile: { ...before.reconcile, targetChecked: 40, deleted: 4 } };
    const [doc] = await captureEmf(() => meterCopySlice(metrics, 'nightly', { before, after, elapsedMs: 100 }));
    assert.equal(doc!.KeysDeleted, 3);
    assert.equal(doc!.KeysCopied, 0);
  });

  it('publishes a verify slice with the differences it found', async () => {
    const metrics = new SliceMetrics('verify');
    const [doc] = await captureEmf(() => metrics.verifySlice({ migrationId: 'm', keysVerified: 1_000, differences: 3, elapsedMs: 500 }));
    assert.equal(doc!.Task, 'verify');
    assert.equal(doc!.KeysVerified, 1_000);
    assert.equal(doc!.VerifyDifferences, 3);
    assert.equal(doc!.KeysPerSecond, 2_000);
  });

  it('publishes follow lag per migration and, in a second document, per unit', async () => {
    const metrics = new SliceMetrics('follow');
    const docs = await captureEmf(() =>
      metrics.followSlice({ migrationId: 'live', unitId: 'slots-0-5460/db0', lagMs: 42, eventsApplied: 17 }),
    );
    assert.equal(docs.length, 2);
    const [all, perUnit] = docs as [EmfDocument, EmfDocument];
    assert.equal(all.FollowLagMs, 42);
    assert.equal(all.FollowEventsApplied, 17);
    assert.equal(units(all).FollowLagMs, 'Milliseconds');
    assert.deepEqual(declared(perUnit).Dimensions, [['service', 'Task', 'MigrationId', 'UnitId']]);
    assert.deepEqual(Object.keys(units(perUnit)), ['FollowLagMs']);
    assert.equal(perUnit.UnitId, 'slots-0-5460/db0');
    assert.equal(perUnit.FollowLagMs, 42);
  });

  it('counts a retryable slice failure as a retry and any other as an error, rethrowing both', async () => {
    const metrics = new SliceMetrics('copy');
    const fail = (error: Error) => meteredSlice(metrics, { migrationId: 'm' }, () => Promise.reject(error));
    let thrown: unknown;
    const retried = await captureEmf(() => fail(new MigrationError('connection lost', { retryable: true })).catch((e) => (thrown = e)));
    assert.equal((thrown as Error).message, 'connection lost');
    assert.equal(retried[0]!.Retries, 1);
    assert.equal(retried[0]!.Errors, undefined);
    const failed = await captureEmf(() => fail(new ConfigError(['bad input'])).catch(() => undefined));
    assert.equal(failed[0]!.Errors, 1);
    assert.equal(failed[0]!.Retries, undefined);
    const ok = await captureEmf(() => meteredSlice(metrics, { migrationId: 'm' }, async () => 'fine'));
    assert.deepEqual(ok, []);
  });
});
