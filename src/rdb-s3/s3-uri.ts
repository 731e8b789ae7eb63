import { S3UriError } from './s3-errors.js';

/** An object named by an `s3://bucket/key` URI. */
export interface S3Location {
  bucket: string;
  key: string;
}

// S3's rules for new bucket names: 3–63 characters of lowercase letters, digits, dots and hyphens,
// starting and ending with a letter or digit. Older us-east-1 buckets may break them; S3 itself
// refuses those names for new buckets, and they cannot be addressed virtual-host style.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
/** S3 limits a key to 1,024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/**
 * Parses `s3://bucket/key` strictly. The key is taken as written (no percent-decoding, as the AWS CLI
 * does), so `s3://b/a%20b.rdb` names the key `a%20b.rdb`.
 */
export function parseS3Uri(uri: string): S3Location {
  const problem = uriProblem(uri);
  if (problem !== undefined) throw new S3UriError(uri, problem);
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** True when `value` is meant as an S3 URI (so a bad one is reported as such, not as a missing file). */
export function isS3Uri(value: string): boolean {
  return /^s3:\/\//i.test(value);
}

/** What is wrong with a bucket name, or undefined (also checked by the CDK app for the construct's prop). */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket === '') return 'the bucket name is empty';
  if (!BUCKET.test(bucket) || bucket.includes('..') || IP_LIKE.test(bucket))
    return `"${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots or hyphens)`;
  return undefined;
}

function uriProblem(uri: string): string | undefined {
  if (!uri.startsWith('s3://')) return 'it does not start with s3://';
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return 'it names a bucket but no object key';
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem !== undefined) return bucketProblem;
  if (key === '') return 'the object key is empty';
  if (key.endsWith('/')) return 'the key ends with "/", which names a folder, not an object';
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return `the key is longer than S3's ${MAX_KEY_BYTES} bytes`;
  return undefined;
}
