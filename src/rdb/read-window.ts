import type { ByteReader, ByteSource } from './byte-source.js';

const EMPTY = Buffer.alloc(0);

/**
 * A sliding window over one range of a ByteSource: `buf` holds the bytes from file offset `base`
 * on. fill() drops what the caller is done with and reads on until the window reaches a given
 * offset, building one new buffer per fill, so a record that needs k refills with a doubling
 * target costs O(size) copying in all, not O(size²). A source with random access (a local file)
 * is read straight into that buffer; any other is streamed and its chunks copied in. The old
 * buffer is never written to: records handed out earlier keep views of it.
 */
export class ReadWindow {
  buf: Buffer = EMPTY;
  base: number;
  private chunks: AsyncIterator<Buffer> | undefined;
  private reader: Promise<ByteReader> | undefined;
  private ended = false;
  private closed = false;

  constructor(
    private readonly source: ByteSource,
    start: number,
    /** The end of the file: the window is `final` when it reaches it. */
    readonly fileEnd: number,
    private readonly signal?: AbortSignal,
  ) {
    this.base = start;
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
    const kept = this.buf.subarray(keepFrom - this.base);
    if (this.end < minEnd && !this.final) {
      this.buf = this.source.openReader ? await this.readInto(kept, Math.min(minEnd, this.fileEnd)) : await this.streamInto(kept, minEnd);
    } else {
      this.buf = kept;
    }
    this.base = keepFrom;
  }

  /** Stops the underlying stream or reader (closes the file or the HTTP response). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = this.ended = true;
    await this.chunks?.return?.();
    if (this.reader) await (await this.reader).close();
  }

  /** A new buffer: the kept bytes, then the file's bytes up to `endAt`, read in place. */
  private async readInto(kept: Buffer, endAt: number): Promise<Buffer> {
    this.reader ??= this.source.openReader!();
    const reader = await this.reader;
    const from = this.end;
    const next = Buffer.allocUnsafeSlow(kept.length + (endAt - from));
    kept.copy(next);
    let filled = kept.length;
    while (filled < next.length) {
      this.signal?.throwIfAborted();
      const n = await reader.read(next, filled, next.length - filled, from + (filled - kept.length));
      if (n === 0) {
        this.ended = true; // the file is shorter than its size said: it changed under us
        break;
      }
      filled += n;
    }
    return next.subarray(0, filled);
  }

  /** A new buffer: the kept bytes, then stream chunks until it reaches `minEnd`. */
  private async streamInto(kept: Buffer, minEnd: number): Promise<Buffer> {
    this.chunks ??= this.source.stream(this.end, this.fileEnd, this.signal)[Symbol.asyncIterator]();
    const parts: Buffer[] = [kept];
    let end = this.end;
    while (end < minEnd) {
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      parts.push(next.value);
      end += next.value.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
