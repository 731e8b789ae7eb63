export interface SliceDeadlineOptions {
  nowMs: number;
  /** context.getRemainingTimeInMillis() at the start of the invocation. */
  remainingMs: number;
  /** Time kept free at the end for the batch in hand, the last checkpoint and the return. */
  safetyMarginMs: number;
  /** Optional cap on the slice (COPY_TIME_BUDGET_MS): short slices, predictable progress, tests. */
  budgetMs?: number;
}

/**
 * When a copy invocation stops taking new batches. The margin never eats more than half of the
 * remaining time, so a short function timeout still makes progress instead of stopping at once.
 */
export function sliceDeadline(options: SliceDeadlineOptions): number {
  const margin = Math.min(options.safetyMarginMs, Math.floor(options.remainingMs / 2));
  let end = options.nowMs + options.remainingMs - margin;
  if (options.budgetMs !== undefined && options.budgetMs > 0) end = Math.min(end, options.nowMs + options.budgetMs);
  return end;
}
