/**
 * Where the bytes of an RDB file come from: a local file (file-byte-source.ts) or an S3 object
 * (src/rdb-s3). The walker asks for one contiguous range and reads it front to back, so a source can
 * stream it (one ranged GET, one read stream) and never hold the whole file.
 */
export interface ByteSource {
  /** For messages and checkpoints: a path or s3:// URI, never a secret. */
  readonly name: string;
  size(): Promise<number>;
  /** Bytes [start, end) in order, in chunks of any size; memory stays bounded (no whole-file reads). */
  stream(start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer>;
  /**
   * Random access, when the source has it (a local file): the read window then reads straight into
   * its own buffer instead of copying stream chunks into it, one copy and one allocation less per
   * MiB — the file is read twice per restore (plan, then ranges), so this shows in its throughput.
   */
  openReader?(): Promise<ByteReader>;
  /**
   * The CRC-64 of bytes [0, end), computed off the main thread, when the source can (a local file:
   * a worker reads it). The walk of a whole file then checks the checksum at no cost to itself.
   */
  checksum?(end: number, signal?: AbortSignal): Promise<bigint>;
}

/** Reads at any position of a source. */
export interface ByteReader {
  /** Reads up to `length` bytes at file offset `position` into `into` at `at`; 0 at the end of the file. */
  read(into: Buffer, at: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}
