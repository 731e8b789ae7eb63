import type { ByteSource } from './byte-source.js';

const EMPTY = Buffer.alloc(0);

/**
 * A sliding window over one streamed range of a ByteSource: `buf` holds the bytes from file offset
 * `base` on. fill() drops what the caller is done with and appends chunks until the window reaches
 * a given offset, concatenating once per fill, so a record that needs k refills with a doubling
 * target costs O(size) copying in all, not O(size²).
 */
export class ReadWindow {
  buf: Buffer = EMPTY;
  base: number;
  private readonly chunks: AsyncIterator<Buffer>;
  private ended = false;

  constructor(
    source: ByteSource,
    start: number,
    /** The end of the file: the window is `final` when it reaches it. */
    readonly fileEnd: number,
    signal?: AbortSignal,
  ) {
    this.base = start;
    this.chunks = source.stream(start, fileEnd, signal)[Symbol.asyncIterator]();
  }

  /** File offset just past the buffered bytes. */
  get end(): number {
    return this.base + this.buf.length;
  }

  /** True when no more bytes will come: the window reaches the end of the file (or the source stopped). */
  get final(): boolean {
    return this.ended || this.end >= this.fileEnd;
  }

  /** Keeps the bytes from `keepFrom` on and reads until the window reaches `minEnd` (or the end of the file). */
  async fill(keepFrom: number, minEnd: number): Promise<void> {
    const parts: Buffer[] = [this.buf.subarray(keepFrom - this.base)];
    let end = this.end;
    while (end < minEnd && !this.final) {
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      parts.push(next.value);
      end += next.value.length;
    }
    this.buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.base = keepFrom;
  }

  /** Stops the underlying stream (closes the file or the HTTP response). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.chunks.return?.();
    }
  }
}
