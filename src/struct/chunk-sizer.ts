/**
 * Picks the element count of the next chunk so that a chunk costs about `chunkBytes` of worker
 * memory: elements differ wildly in size between keys (ten-byte members, megabyte hash values), so
 * the count starts at `initial` and follows the average element size seen so far, plus a fixed
 * per-element cost for the JavaScript objects around each one (a reply Buffer, or for streams a
 * whole command per entry), which dominates for tiny elements.
 */
export class ChunkSizer {
  private elements = 0;
  private bytes = 0;

  constructor(
    private readonly initial: number,
    readonly chunkBytes: number,
    private readonly overheadPerElement = 0,
    private readonly max = 10_000,
  ) {}

  /** Elements to ask for next. */
  count(): number {
    if (this.elements === 0) return Math.min(this.initial, this.max);
    const average = this.bytes / this.elements + this.overheadPerElement;
    return Math.max(1, Math.min(this.max, Math.floor(this.chunkBytes / Math.max(1, average))));
  }

  observe(elements: number, bytes: number): void {
    this.elements += elements;
    this.bytes += bytes;
  }
}

/** Bytes of a list of reply buffers (field and value bytes, not protocol overhead). */
export function sizeOf(items: Buffer[]): number {
  let n = 0;
  for (const item of items) n += item.length;
  return n;
}
