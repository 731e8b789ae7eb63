/**
 * Keys per second and an ETA from counters read at intervals (the stored checkpoints, polled): the
 * change over a sliding window of samples, so a burst or a pause between slices neither freezes
 * nor swings the numbers.
 */
export class RateWindow {
  private samples: { atMs: number; count: number; progress: number }[] = [];

  constructor(private readonly windowMs = 30_000) {}

  /** A reading: the time, the count so far, and the fraction of the work done (0..1). */
  add(atMs: number, count: number, progress: number): void {
    this.samples.push({ atMs, count, progress });
    // Keep one sample at or beyond the window's start, so the window always spans it.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= atMs - this.windowMs) this.samples.shift();
  }

  /** Counted per second over the window; undefined until two readings are apart in time. */
  perSecond(): number | undefined {
    const span = this.span();
    return span ? (Math.max(0, span.last.count - span.first.count) * 1000) / span.ms : undefined;
  }

  /** Time left at the window's pace of progress; undefined while no progress was seen in it. */
  etaMs(): number | undefined {
    const span = this.span();
    if (!span) return undefined;
    const gained = span.last.progress - span.first.progress;
    if (gained <= 0) return undefined;
    return ((1 - span.last.progress) * span.ms) / gained;
  }

  private span() {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.atMs <= first.atMs) return undefined;
    return { first, last, ms: last.atMs - first.atMs };
  }
}
