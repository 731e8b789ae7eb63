/**
 * A token bucket shared by every unit of a run, so `--rate-limit` bounds the total keys per second
 * read from the source (DUMP is CPU-heavy on it). Burst capacity is one second's worth.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Waits until `count` keys may be read. A count above the burst size waits proportionally. */
  async take(count: number): Promise<void> {
    this.refill();
    this.tokens -= count;
    if (this.tokens < 0) {
      await this.sleep((-this.tokens / this.perSecond) * 1000);
    }
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }
}
