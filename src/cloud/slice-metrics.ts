import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRIC, METRIC_DIMENSION, METRICS_NAMESPACE, METRICS_SERVICE } from './deploy-names.js';

/**
 * CloudWatch metrics of the slices, in the embedded metric format: Powertools writes one JSON
 * document per call to stdout, CloudWatch Logs turns it into metrics, and no API is called (no
 * latency, no PutMetricData permission, nothing lost when a slice is cut short after it returned).
 * One SliceMetrics per container; each method publishes at once, so nothing is left buffered
 * when an invocation ends. Names and dimensions: deploy-names.ts (METRIC, METRIC_DIMENSION).
 */

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** The task a slice belongs to: the `Task` dimension. */
export type MetricTask = 'copy' | 'verify' | 'follow';

/** What one copy slice did (a reconcile slice too: its writes, and a delete unit's deletes). */
export interface CopySliceMeasures {
  migrationId: string;
  /** Keys written by this slice. */
  keysCopied: number;
  /** Payload bytes written by this slice. */
  bytesCopied: number;
  /** Of keysCopied: keys written again after a resume (the cost of a retried or cut-short slice). */
  keysRecopied: number;
  /** Target keys deleted by this slice (reconcile's delete pass). */
  keysDeleted: number;
  /** The slice's wall time, for KeysPerSecond. */
  elapsedMs: number;
}

/** What one verify slice did. */
export interface VerifySliceMeasures {
  migrationId: string;
  /** Keys compared by this slice (source keys, or a target unit's target keys). */
  keysVerified: number;
  /** Differences this slice found (missing, type, ttl, value, extra). */
  differences: number;
  elapsedMs: number;
}

/** What one follow slice (one follower invocation on one shard) did. */
export interface FollowSliceMeasures {
  migrationId: string;
  /** The followed unit (shard × db): its lag is also published per unit. */
  unitId: string;
  /** How far the target is behind the source on this shard when the slice hands over (ms). */
  lagMs: number;
  /** Change events applied to the target by this slice. */
  eventsApplied: number;
}

/**
 * The metrics of one task's container (module scope of its handler). Every document has two
 * dimension sets, { service, Task } (all migrations: what the dashboard graphs) and { service,
 * Task, MigrationId }; follow lag has a third document per unit. Each method publishes at once.
 */
export class SliceMetrics {
  readonly metrics: Metrics;

  constructor(readonly task: MetricTask) {
    this.metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: METRICS_SERVICE,
      defaultDimensions: { [METRIC_DIMENSION.task]: task },
    });
  }

  /** A copy slice: Slices 1, KeysCopied, BytesCopied, KeysRecopied, KeysDeleted, KeysPerSecond. */
  copySlice(m: CopySliceMeasures): void {
    this.publish(m.migrationId, [
      [METRIC.slices, MetricUnit.Count, 1],
      [METRIC.keysCopied, MetricUnit.Count, m.keysCopied],
      [METRIC.bytesCopied, MetricUnit.Bytes, m.bytesCopied],
      [METRIC.keysRecopied, MetricUnit.Count, m.keysRecopied],
      [METRIC.keysDeleted, MetricUnit.Count, m.keysDeleted],
      [METRIC.keysPerSecond, MetricUnit.CountPerSecond, perSecond(m.keysCopied, m.elapsedMs)],
    ]);
  }

  /** A verify slice: Slices 1, KeysVerified, VerifyDifferences, KeysPerSecond. */
  verifySlice(m: VerifySliceMeasures): void {
    this.publish(m.migrationId, [
      [METRIC.slices, MetricUnit.Count, 1],
      [METRIC.keysVerified, MetricUnit.Count, m.keysVerified],
      [METRIC.verifyDifferences, MetricUnit.Count, m.differences],
      [METRIC.keysPerSecond, MetricUnit.CountPerSecond, perSecond(m.keysVerified, m.elapsedMs)],
    ]);
  }

  /**
   * A follow slice: Slices 1, FollowLagMs, FollowEventsApplied; then FollowLagMs again with
   * { service, Task, MigrationId, UnitId }, as a sum over shards hides the one that lags (graph
   * it with Maximum).
   */
  followSlice(m: FollowSliceMeasures): void {
    const lag = Math.max(0, m.lagMs);
    this.publish(m.migrationId, [
      [METRIC.slices, MetricUnit.Count, 1],
      [METRIC.followLag, MetricUnit.Milliseconds, lag],
      [METRIC.followEventsApplied, MetricUnit.Count, m.eventsApplied],
    ]);
    this.metrics.addDimensions({ [METRIC_DIMENSION.migrationId]: m.migrationId, [METRIC_DIMENSION.unitId]: m.unitId });
    this.metrics.addMetric(METRIC.followLag, MetricUnit.Milliseconds, lag);
    this.metrics.publishStoredMetrics();
  }

  /**
   * A slice that threw: Retries 1 when the state machine retries the error (a retryable one),
   * Errors 1 otherwise (the unit, then the execution, fails).
   */
  sliceFailed(migrationId: string, retryable: boolean): void {
    this.publish(migrationId, [[retryable ? METRIC.retries : METRIC.errors, MetricUnit.Count, 1]]);
  }

  /** One EMF document: the metrics with { service, Task } and { service, Task, MigrationId }. */
  private publish(migrationId: string, values: [string, Unit, number][]): void {
    // Two sets with no key in common (Task is a default dimension): Powertools warns about a key given twice.
    this.metrics.addDimensions({});
    this.metrics.addDimensions({ [METRIC_DIMENSION.migrationId]: migrationId });
    for (const [name, unit, value] of values) this.metrics.addMetric(name, unit, value);
    this.metrics.publishStoredMetrics();
  }
}

function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? Math.round((count * 1000) / elapsedMs) : 0;
}
