/** The burst a limiter allows, in seconds of its rate; also the most keys one grant may cover. */
export const BURST_SECONDS = 0.05;

/**
 * Paces the keys read from the source: one limiter is shared by every unit of a run, so
 * `--rate-limit` bounds the total keys per second (DUMP is CPU-heavy on the source).
 *
 * The promise: over ANY window of T seconds, fewer than `rate × T + maxTake` keys are granted,
 * with maxTake = max(1, rate × BURST_SECONDS). For the 5 s windows a user watches that is 1 % over
 * the rate (at and above 20 keys/s; below 10 keys/s the 2 % of 5 s is less than one key). Why it
 * holds, whatever the callers, the machine's load or the timers' accuracy:
 *
 * `spent` is a virtual clock: the instant up to which the rate's tokens have been handed out. A
 * grant of n keys at time g (read from the clock at the grant, never before a sleep) moves it to
 * `from + n/rate` with from = max(spent, g - maxTake/rate), and happens only if that is ≤ g. Hence,
 * after every grant, g - maxTake/rate + n/rate ≤ spent ≤ g, and every grant advances `spent` by at
 * least n/rate. Take the grants in a window (a, b], the first at g₁ > a, G keys in all: after the
 * last one, spent ≥ (g₁ - maxTake/rate + n₁/rate) + (G - n₁)/rate, and spent ≤ its time ≤ b. So
 * G ≤ rate × (b - g₁) + maxTake < rate × (b - a) + maxTake.
 *
 * That is why a grant covers at most maxTake keys (readPaced slices a SCAN page, which can be
 * larger than COUNT, accordingly): n keys granted at one instant all fall in the same windows, so
 * a page of 1,000 keys granted at once would overshoot a 200 keys/s limit by 1,000 keys. And why the
 * burst is 50 ms, not a second: a bucket that starts full, or refills while idle, to one second
 * lets any 5 s window hold 6 s of keys, 20 % over (the defect this design replaced). The bucket
 * starts empty, so limiters used one after another (a Lambda's slices of a unit) keep the bound.
 *
 * Takes are served first come, first served; a sleep that wakes early only means one more look.
 */
export class RateLimiter {
  /** Most keys one `take` may ask for. */
  readonly maxTake: number;
  private spent: number;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(perSecond > 0)) throw new RangeError(`rate limit must be positive, got ${perSecond}`);
    this.maxTake = Math.max(1, Math.floor(perSecond * BURST_SECONDS));
    this.spent = now();
  }

  /** Resolves when `count` keys (at most maxTake) may be read, after every earlier take. */
  take(count: number): Promise<void> {
    if (count > this.maxTake) throw new RangeError(`take(${count}) exceeds the limiter's largest grant, ${this.maxTake} keys`);
    if (count <= 0) return Promise.resolve();
    const mine = this.turn.then(() => this.grant(count));
    this.turn = mine;
    return mine;
  }

  private async grant(count: number): Promise<void> {
    const msPerKey = 1000 / this.perSecond;
    for (;;) {
      const now = this.now();
      const ready = Math.max(this.spent, now - this.maxTake * msPerKey) + count * msPerKey;
      if (ready <= now) {
        this.spent = ready;
        return;
      }
      await this.sleep(ready - now);
    }
  }
}
