import { S3ObjectChangedError, S3SourceError } from './s3-errors.js';

/** What a failed S3 call means for the reader. */
export type S3FailureKind = 'transient' | 'missing' | 'denied' | 'changed' | 'fatal';

/** S3 error codes that a later attempt may not meet: throttling and server-side trouble. */
const TRANSIENT_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeoutException',
]);
/** Socket-level failures, before or in the middle of a body: the range is asked for again. */
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);
const MISSING_CODES = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);
const DENIED_CODES = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken']);

interface SdkLikeError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** Sorts a failure of HeadObject, GetObject or its body stream. */
export function classifyS3Failure(error: unknown): S3FailureKind {
  if (!(error instanceof Error)) return 'fatal';
  const e = error as Error & SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  if (e.name === 'PreconditionFailed' || status === 412) return 'changed';
  if (MISSING_CODES.has(e.name) || status === 404) return 'missing';
  if (DENIED_CODES.has(e.name) || status === 403 || status === 401) return 'denied';
  if (e.$retryable !== undefined || TRANSIENT_CODES.has(e.name)) return 'transient';
  if (status !== undefined && (status === 429 || status >= 500)) return 'transient';
  if (e.code !== undefined && TRANSIENT_SOCKET_CODES.has(e.code)) return 'transient';
  if (e.name === 'TruncatedBodyError') return 'transient';
  // The Node HTTP client reports a connection cut mid-body as a bare "aborted" (code ECONNRESET on
  // recent Node versions, none on older ones).
  if (e.message === 'aborted' || e.message === 'socket hang up') return 'transient';
  return 'fatal';
}

/** The error to throw for a failure that is not retried (or ran out of retries), saying what to check. */
export function s3FailureError(uri: string, error: unknown, attempts: number): Error {
  const kind = classifyS3Failure(error);
  const detail = describe(error);
  if (kind === 'changed')
    return new S3ObjectChangedError(
      `${uri} changed while it was being restored (its ETag no longer matches); restore the new object from the start`,
      { cause: error },
    );
  if (kind === 'missing')
    return new S3SourceError(`${uri} does not exist (${detail}); check the bucket and key, and the --s3-endpoint if you set one`, {
      cause: error,
    });
  if (kind === 'denied')
    return new S3SourceError(
      `access to ${uri} was refused (${detail}); the credentials need s3:GetObject on it ` +
        '(without s3:ListBucket on the bucket, S3 also answers this for a key that does not exist)',
      { cause: error },
    );
  if (kind === 'transient')
    return new S3SourceError(`reading ${uri} failed ${attempts} times in a row (last: ${detail}); try again later`, {
      cause: error,
      retryable: true,
    });
  return new S3SourceError(`reading ${uri} failed: ${detail}`, { cause: error });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const e = error as Error & SdkLikeError;
  const status = e.$metadata?.httpStatusCode;
  const what = e.code ?? e.name;
  const message = e.message && e.message !== 'UnknownError' && e.message !== what ? `: ${e.message}` : '';
  return `${what}${status === undefined ? '' : ` ${status}`}${message}`;
}

/** The body ended before the requested range did (a connection cut the server did not report). */
export class TruncatedBodyError extends Error {
  constructor(expected: number, received: number) {
    super(`the response body ended after ${received} of ${expected} bytes`);
    this.name = 'TruncatedBodyError';
  }
}
