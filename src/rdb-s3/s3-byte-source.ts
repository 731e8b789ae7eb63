import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InternalError, MigrationInterruptedError } from '../core/errors.js';
import type { ByteSource } from '../rdb/byte-source.js';
import { createS3Client, type S3ConnectionOptions } from './s3-client.js';
import { S3ObjectChangedError } from './s3-errors.js';
import { RangeFetch, type RangeFetchContext } from './s3-range-fetch.js';
import { DEFAULT_S3_RETRY, type S3RetryPolicy, withS3Retries } from './s3-retry.js';
import { parseS3Uri, type S3Location } from './s3-uri.js';

export const DEFAULT_WINDOW_BYTES = 8 * 1024 * 1024;
export const DEFAULT_WINDOWS_IN_FLIGHT = 2;
/** The first window of a stream; each next one is twice as large, up to windowBytes. */
const FIRST_WINDOW_BYTES = 1024 * 1024;

export interface S3ByteSourceOptions extends S3ConnectionOptions {
  /** A client to share between sources; one is made from the connection options otherwise. */
  client?: S3Client;
  /** Bytes asked for by one ranged GET. @default 8 MiB */
  windowBytes?: number;
  /** Ranged GETs under way at once: the window being read and those fetched ahead of it. @default 2 */
  windowsInFlight?: number;
  /** The ETag the object must still have (a resume's): another object is refused, not read. */
  etag?: string;
  retry?: S3RetryPolicy;
}

/** The object's identity: a resume checks it so that it never mixes two snapshots. */
export interface S3ObjectInfo {
  size: number;
  /** As S3 returns it, quotes included; undefined when an S3-compatible store sends none. */
  etag: string | undefined;
}

/** What the source did so far (for tests and the bench). */
export interface S3ReadStats {
  gets: number;
  /** Body bytes received, including those of windows the reader stopped before. */
  receivedBytes: number;
  retries: number;
  /** Bytes received and not yet handed to the reader, now and at the most. */
  bufferedBytes: number;
  maxBufferedBytes: number;
}

export interface S3ByteSource extends ByteSource {
  readonly location: S3Location;
  head(): Promise<S3ObjectInfo>;
  readonly stats: Readonly<S3ReadStats>;
}

/**
 * A ByteSource over an S3 object (`s3://bucket/key`): HeadObject for its size and ETag, then ranged GETs
 * of `windowBytes` each, `windowsInFlight` at once, streamed to the reader as they arrive. Memory stays
 * under windowBytes × windowsInFlight whatever the object's size. Every GET carries the ETag the read
 * started with, so an object replaced mid-restore is refused instead of mixed in.
 */
export function s3ByteSource(uri: string, options: S3ByteSourceOptions = {}): S3ByteSource {
  const location = parseS3Uri(uri);
  const client = options.client ?? createS3Client(options);
  const windowBytes = positive(options.windowBytes ?? DEFAULT_WINDOW_BYTES, 'windowBytes');
  const windowsInFlight = positive(options.windowsInFlight ?? DEFAULT_WINDOWS_IN_FLIGHT, 'windowsInFlight');
  const policy = options.retry ?? DEFAULT_S3_RETRY;
  const stats: S3ReadStats = { gets: 0, receivedBytes: 0, retries: 0, bufferedBytes: 0, maxBufferedBytes: 0 };
  let info: Promise<S3ObjectInfo> | undefined;

  const head = (): Promise<S3ObjectInfo> => {
    info ??= headObject(client, location, uri, options.etag, policy, () => stats.retries++);
    // A failed HEAD is not cached: the next call asks again.
    info.catch(() => (info = undefined));
    return info;
  };

  async function* stream(start: number, end: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const { size: objectSize, etag } = await head();
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= objectSize))
      throw new InternalError(`byte range [${start}, ${end}) is outside ${uri} (${objectSize} bytes)`);
    if (signal?.aborted) throw new MigrationInterruptedError(`reading ${uri} stopped`, { cause: signal.reason });
    // One controller per stream: the caller's signal, or the caller leaving the loop early, stops every fetch.
    const controller = new AbortController();
    const stop = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    const ctx: RangeFetchContext = {
      uri,
      policy,
      signal: controller.signal,
      client,
      location,
      etag,
      onRetry: () => stats.retries++,
      onGet: () => stats.gets++,
      onBuffered: (delta) => {
        if (delta > 0) stats.receivedBytes += delta;
        stats.bufferedBytes += delta;
        stats.maxBufferedBytes = Math.max(stats.maxBufferedBytes, stats.bufferedBytes);
      },
    };
    const windows: RangeFetch[] = [];
    let next = start;
    // Windows start small and double up to windowBytes: a reader that stops early (the header, a
    // slice that ends) leaves little fetched for nothing, a long read soon runs at full size.
    let size = Math.min(windowBytes, FIRST_WINDOW_BYTES);
    const launch = () => {
      for (; windows.length < windowsInFlight && next < end; size = Math.min(windowBytes, size * 2)) {
        const to = Math.min(end, next + size);
        windows.push(new RangeFetch(ctx, next, to));
        next = to;
      }
    };
    try {
      for (launch(); windows.length > 0; launch()) {
        yield* (windows[0] as RangeFetch).drain();
        windows.shift();
      }
    } finally {
      signal?.removeEventListener('abort', stop);
      controller.abort();
    }
  }

  return { name: uri, location, head, size: async () => (await head()).size, stream, stats };
}

async function headObject(
  client: S3Client,
  location: S3Location,
  uri: string,
  expectedEtag: string | undefined,
  policy: S3RetryPolicy,
  onRetry: () => void,
): Promise<S3ObjectInfo> {
  const ctx = { uri, policy, signal: new AbortController().signal, onRetry };
  const reply = await withS3Retries(ctx, () =>
    client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key, IfMatch: expectedEtag })),
  );
  if (expectedEtag !== undefined && reply.ETag !== undefined && reply.ETag !== expectedEtag)
    throw new S3ObjectChangedError(
      `${uri} is not the object this restore started from (ETag ${reply.ETag}, expected ${expectedEtag}); ` +
        'restore it from the start, without resuming',
    );
  return { size: reply.ContentLength ?? 0, etag: reply.ETag };
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new InternalError(`S3 ${what} must be a positive integer, got ${value}`);
  return value;
}
