import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { seedMixedDataset, seedStrings } from '../../fixtures/mixed-dataset.js';
import { assertSameData } from '../../helpers/compare-data.js';
import type { RedisCluster, RedisServer } from '../../helpers/index.js';
import { comparingView } from '../../integration/topology-support.js';

/** The output of a run's last execution (the report step's summary). */
export interface RunSummary {
  status: string;
  units: number;
  rounds: number;
  totals: { copied: number; recopied?: number; skippedExpired?: number };
  verify?: { level: string; checked: number; mismatches: number; passed: boolean };
}

/** The run's own verify phase ran at `level`, checked `keys` keys and passed with no mismatch. */
export function assertVerifiedClean(summary: RunSummary, level: string, keys: number): void {
  assert.equal(summary.verify?.level, level);
  assert.equal(summary.verify?.checked, keys);
  assert.equal(summary.verify?.mismatches, 0);
  assert.equal(summary.verify?.passed, true);
}

/**
 * Seeds db 0 of `db0` for a cluster target (which has no other db to write into): every type, 15
 * keys each, and 1,000 strings named k:<n>. Returns the number of keys.
 */
export async function seedForClusterTarget(db0: Redis): Promise<number> {
  const keyCount = await seedMixedDataset(db0, { perType: 15 });
  await seedStrings(db0, 1000, 'k:');
  return keyCount + 1000;
}

/**
 * Independently of the product: every key of the source's db 0 is on the cluster, identical (type,
 * value, TTL within 1 s), `keyCount` keys in all, and every master holds some (routed by slot).
 */
export async function assertSameOnCluster(source: RedisServer, cluster: RedisCluster, keyCount: number): Promise<void> {
  // comparingView sums DBSIZE and SCANs over the masters and routes keyed reads by slot.
  const compared = await assertSameData(source.client({ db: 0 }), comparingView(cluster));
  assert.equal(compared, keyCount);
  const perMaster = await Promise.all(cluster.masters.map((m) => m.client().dbsize()));
  assert.ok(
    perMaster.every((n) => n > 0),
    `keys per master: ${perMaster.join(', ')}`,
  );
}
