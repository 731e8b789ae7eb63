import { toTaskError } from '../../src/cloud/cloud-errors.js';
import { RETRYABLE_TASK_ERROR } from '../../src/cloud/deploy-names.js';
import type { SliceMetrics } from '../../src/cloud/slice-metrics.js';
import type { UnitCheckpoint } from '../../src/core/contracts.js';

/**
 * Runs a slice and publishes its failure, if it throws, as Retries (an error the state machine
 * retries) or Errors (one that fails the unit). A slice that dies (timeout, out of memory) publishes
 * nothing: the dashboard shows those from the functions' own Errors metric.
 */
export async function meteredSlice<T>(metrics: SliceMetrics | undefined, event: unknown, slice: () => Promise<T>): Promise<T> {
  try {
    return await slice();
  } catch (error) {
    const migrationId = (event as { migrationId?: unknown } | undefined)?.migrationId;
    if (metrics && typeof migrationId === 'string' && migrationId !== '') {
      metrics.sliceFailed(migrationId, (toTaskError(error) as Error)?.name === RETRYABLE_TASK_ERROR);
    }
    throw error;
  }
}

/** Publishes what a copy slice (or a reconcile delete slice) did: its unit's checkpoint before and after. */
export function meterCopySlice(
  metrics: SliceMetrics | undefined,
  migrationId: string,
  slice: { before: UnitCheckpoint; after: UnitCheckpoint; elapsedMs: number },
): void {
  if (!metrics) return;
  const { before, after } = slice;
  metrics.copySlice({
    migrationId,
    keysCopied: after.counters.copied - before.counters.copied,
    bytesCopied: after.counters.bytes - before.counters.bytes,
    keysRecopied: after.counters.recopied - before.counters.recopied,
    keysDeleted: (after.reconcile?.deleted ?? 0) - (before.reconcile?.deleted ?? 0),
    elapsedMs: slice.elapsedMs,
  });
}
