/** One grant of a rate limiter, as a test records it: when, and for how many keys. */
export interface Grant {
  at: number;
  keys: number;
}

/** The most keys granted in any window of `windowMs` (a window starting at a grant holds the most). */
export function busiestWindow(grants: Grant[], windowMs: number): number {
  const sorted = [...grants].sort((a, b) => a.at - b.at);
  let best = 0;
  let inWindow = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start++) {
    while (end < sorted.length && sorted[end]!.at < sorted[start]!.at + windowMs) inWindow += sorted[end++]!.keys;
    best = Math.max(best, inWindow);
    inWindow -= sorted[start]!.keys;
  }
  return best;
}
