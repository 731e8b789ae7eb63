import type { SliceMetrics } from '../../src/cloud/slice-metrics.js';
import type { FollowStats } from '../../src/runner/follow/unit-follower.js';

/** A holder publishes its unit's lag and the events it applied about once a minute: the dashboard's resolution. */
const PUBLISH_EVERY_MS = 60_000;

/**
 * The follow metrics of one hold (one EMF document per publication: lag, events applied since the
 * last one). Called on every heartbeat; publishes at most once per minute, and once more at the
 * end of the hold (`final`), so a short hold is counted too.
 */
export function followMeter(
  metrics: SliceMetrics | undefined,
  ids: { migrationId: string; unitId: string },
): (stats: FollowStats, now: number, final?: boolean) => void {
  let lastAt = Date.now();
  let appliedBefore = 0;
  return (stats, now, final = false) => {
    if (!metrics || (!final && now - lastAt < PUBLISH_EVERY_MS)) return;
    metrics.followSlice({ ...ids, lagMs: stats.lagMs, eventsApplied: stats.applied - appliedBefore });
    lastAt = now;
    appliedBefore = stats.applied;
  };
}
