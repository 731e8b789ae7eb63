/** Exponential backoff: the first delay, doubling per attempt up to a cap, optionally jittered. */
export interface BackoffPolicy {
  /** The delay before the first retry (attempt 1). */
  initialMs: number;
  /** No delay is longer. */
  maxMs: number;
  /**
   * The share of each delay that is random: 0.5 waits between half and all of it ("equal
   * jitter"), so workers that failed together do not retry together. @default 0 (none)
   */
  jitter?: number;
}

/** The delay before retry number `attempt` (1-based): initialMs × 2^(attempt-1), capped at maxMs, then jittered. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // The exponent is bounded so a long run of attempts stays a finite number, then the cap applies.
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const delay = Math.min(policy.maxMs, policy.initialMs * 2 ** exponent);
  const jitter = policy.jitter ?? 0;
  return jitter > 0 ? delay * (1 - jitter + jitter * random()) : delay;
}
