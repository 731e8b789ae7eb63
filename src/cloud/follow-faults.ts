/**
 * A fault-injection seam for the follow workflow tests: a follower invocation asks it, at each
 * heartbeat while it holds its unit, whether to die now. Dying means what a crashed Lambda does:
 * every Redis connection dropped, no further write to DynamoDB, the invocation fails. The hook is
 * looked up on globalThis (under a registered symbol) because the handlers run as esbuild bundles,
 * each with its own copy of this module; in a deployed function nothing sets it.
 */
export interface FollowFaults {
  /** Called while `unitId` is held by invocation `holder`; true kills that invocation now. */
  killHolder(unitId: string, holder: string, stats: { applied: number; events: number }): boolean;
}

const KEY = Symbol.for('redis-ferry.follow-faults');

export function followFaults(): FollowFaults | undefined {
  return (globalThis as Record<symbol, FollowFaults | undefined>)[KEY];
}

export function setFollowFaults(faults: FollowFaults | undefined): void {
  (globalThis as Record<symbol, FollowFaults | undefined>)[KEY] = faults;
}
