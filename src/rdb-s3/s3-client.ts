import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/** Where and how to reach S3. Credentials come from the SDK's default chain unless given. */
export interface S3ConnectionOptions {
  /** An S3-compatible endpoint (MinIO, Ceph, s3rver in tests), e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  /** Address buckets as endpoint/bucket/key instead of bucket.endpoint/key: most S3-compatible stores need it. */
  forcePathStyle?: boolean;
  /** The client's region; the SDK's default chain (AWS_REGION, profile) otherwise, us-east-1 as the last resort. */
  region?: string;
  credentials?: S3ClientConfig['credentials'];
}

/**
 * An S3 client for ranged reads. The SDK's own retries are off (maxAttempts 1): the byte source retries
 * in one place, resuming a range from the last byte received, which the SDK cannot do for a body cut
 * mid-stream. A socket idle for 30 s is cut, so a stalled body becomes a retry instead of a hang.
 */
export function createS3Client(options: S3ConnectionOptions = {}): S3Client {
  return new S3Client({
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    region: options.region ?? regionOrDefault(),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // A bucket in another region answers with a redirect the client follows, so any region reaches it.
    followRegionRedirects: true,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 30_000 },
  });
}

/**
 * The SDK's own region chain (environment, shared config profile), else us-east-1: S3 answers a request
 * sent to the wrong region with a redirect the client follows, so a missing region is no reason to fail.
 */
function regionOrDefault(): () => Promise<string> {
  const chain = new S3Client({}).config.region;
  return async () => {
    try {
      return await chain();
    } catch {
      return 'us-east-1';
    }
  };
}
