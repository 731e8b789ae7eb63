import type { ReadResult } from '../contracts.js';
import { type CursorOrder, scanPosition } from '../scan-position.js';

/**
 * The `fail` policy's guard against its own writes (see copyUnit): the cursor up to which RESTOREs
 * may have been sent beyond the checkpoint's cursor. A resumed unit writes every batch that starts
 * before the frontier it inherited with REPLACE, and no batch is sent before the stored frontier
 * covers it. Cursors are compared by their position in the walk (`order`: by default the SCAN
 * position of scan-position.ts, exact even if the keyspace was rehashed between runs). Pure: the
 * copy loop stores what it returns.
 */
export class WriteFrontier {
  private readonly inheritedAt: bigint | null;

  constructor(
    /** True under the `fail` policy with a target: only then is a frontier kept. */
    readonly kept: boolean,
    /** The frontier the checkpoint had when this attempt started. */
    private readonly inherited: string | null,
    private readonly order: CursorOrder = scanPosition,
  ) {
    this.inheritedAt = inherited === null ? null : order(inherited, true);
  }

  /** True when the batch starting at `from` may be on the target from an earlier attempt. */
  rewrites(from: string): boolean {
    return this.inheritedAt !== null && this.order(from) < this.inheritedAt;
  }

  /** True when a batch ending at `to` must wait until the stored frontier covers it: it writes keys and is no rewrite. */
  mustCover(stored: string | null, to: string, read: ReadResult, rewrite: boolean): boolean {
    return (
      this.kept &&
      !rewrite &&
      (read.records.length > 0 || (read.big?.length ?? 0) > 0 || read.rest !== undefined) &&
      !this.covers(stored, to)
    );
  }

  /** The frontier to store with the checkpoint of a confirmed batch: as far as reads have gone, never back. */
  afterConfirmed(stored: string | null, furthestRead: string, finished: boolean): string | null {
    return this.kept && !finished ? furthestOf(stored, furthestRead, this.order) : null;
  }

  /**
   * The frontier to leave on a clean stop at `position` (the next cursor): this attempt wrote nothing
   * past it, but an earlier attempt may have, up to the frontier it left; keep that one until it is
   * passed, or the next resume meets BUSYKEY on those keys.
   */
  atStop(position: string): string | null {
    return this.inheritedAt !== null && this.order(position) < this.inheritedAt ? this.inherited : null;
  }

  /** True when writes up to `to` are covered by the stored frontier (in this walk's cursor order). */
  covers(frontier: string | null, to: string): boolean {
    return covers(frontier, to, this.order);
  }
}

/** True when writes up to `to` are covered by the stored frontier. */
export function covers(frontier: string | null, to: string, order: CursorOrder = scanPosition): boolean {
  return frontier !== null && order(to, true) <= order(frontier, true);
}

function furthestOf(a: string | null, b: string, order: CursorOrder): string {
  return a !== null && order(a, true) >= order(b, true) ? a : b;
}
