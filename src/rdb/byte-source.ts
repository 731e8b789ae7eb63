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
}
