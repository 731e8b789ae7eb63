/**
 * The byte-source seam of the RDB reader (docs: rdb-plan Seam 2), declared here until src/rdb/byte-source.ts
 * lands on this branch; the S3 source satisfies it structurally, so the two declarations are interchangeable.
 */
export interface ByteSource {
  /** For messages and checkpoints: a path or s3:// URI, never a secret. */
  readonly name: string;
  size(): Promise<number>;
  /** Bytes [start, end) in order, in chunks of any size; memory stays bounded (no whole-file reads). */
  stream(start: number, end: number, signal?: AbortSignal): AsyncIterable<Buffer>;
}
