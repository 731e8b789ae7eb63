import { type S3ByteSource, type S3ByteSourceOptions, s3ByteSource } from './s3-byte-source.js';
import { isS3Uri } from './s3-uri.js';

/**
 * An S3 object as a restore's file: its bytes, and what identifies this version of it — the ETag, so a
 * restore resumed against a replaced object (same key, new backup) is refused instead of mixing the two.
 * The same shape as the restore runner's RdbLocation (src/runner/restore/rdb-file.ts).
 */
export function s3RdbLocation(uri: string, options: S3ByteSourceOptions = {}): { source: S3ByteSource; version(): Promise<string> } {
  const source = s3ByteSource(uri, options);
  return {
    source,
    version: async () => {
      const { etag, size } = await source.head();
      // An S3-compatible store without ETags: the size is all there is to tell versions apart.
      return etag === undefined ? `size ${size}` : `etag ${etag}`;
    },
  };
}

/**
 * Wraps a restore's file locator (the runner's locateRdb, which reads local paths) so that s3:// URIs
 * are read from S3: what an entry point hands the restore runner as `locate`. `endpoint` is the
 * --s3-endpoint of an S3-compatible store (path-style addressing then).
 */
export function locateWithS3<L>(
  locateFile: (uri: string) => L,
  options: S3ByteSourceOptions = {},
): (uri: string) => L | { source: S3ByteSource; version(): Promise<string> } {
  return (uri) => (isS3Uri(uri) ? s3RdbLocation(uri, options) : locateFile(uri));
}
