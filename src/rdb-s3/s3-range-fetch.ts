import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3ObjectChangedError, S3SourceError } from './s3-errors.js';
import { TruncatedBodyError } from './s3-failure.js';
import { interrupted, type RetryContext, withS3Retries } from './s3-retry.js';
import type { S3Location } from './s3-uri.js';

/** What every range fetch of one stream shares. */
export interface RangeFetchContext extends RetryContext {
  client: S3Client;
  location: S3Location;
  /** The ETag every response must carry: the object the read started on. */
  etag: string | undefined;
  /** Counts bytes held between arrival and hand-off. */
  onBuffered: (delta: number) => void;
  onGet: () => void;
}

/**
 * One window of a stream: bytes [start, end) fetched with one ranged GET (more after a failure, each
 * resuming at the first byte not yet received) into a queue the reader drains in order. A window holds
 * at most end − start bytes, so the stream's memory is bounded by its window size × windows in flight.
 */
export class RangeFetch {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private finished = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    private readonly ctx: RangeFetchContext,
    private readonly start: number,
    private readonly end: number,
  ) {
    void this.run();
  }

  /** The window's bytes in order, as they arrive; throws what made the fetch give up. */
  async *drain(): AsyncGenerator<Buffer> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.ctx.onBuffered(-chunk.length);
        yield chunk;
      } else if (this.failure !== undefined) throw this.failure;
      else if (this.finished) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async run(): Promise<void> {
    try {
      await withS3Retries(
        this.ctx,
        () => this.fetchRest(),
        () => this.received,
      );
      this.finished = true;
    } catch (error) {
      this.failure = error;
    } finally {
      this.notify();
    }
  }

  /** One GET of the bytes not yet received. */
  private async fetchRest(): Promise<void> {
    const { client, location, etag, signal } = this.ctx;
    const from = this.start + this.received;
    this.ctx.onGet();
    const reply = await client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=${from}-${this.end - 1}`, IfMatch: etag }),
      { abortSignal: signal },
    );
    // S3 enforces IfMatch itself (412); S3-compatible stores may not, so the reply's ETag is checked too.
    if (etag !== undefined && reply.ETag !== undefined && reply.ETag !== etag)
      throw new S3ObjectChangedError(
        `${this.ctx.uri} changed while it was being read (ETag ${reply.ETag}, expected ${etag}); restore the new object from the start`,
      );
    for await (const chunk of reply.Body as Readable) this.accept(chunk as Buffer);
    if (signal.aborted) throw interrupted(this.ctx);
    if (this.start + this.received < this.end) throw new TruncatedBodyError(this.end - from, this.start + this.received - from);
  }

  private accept(chunk: Buffer): void {
    if (this.start + this.received + chunk.length > this.end)
      throw new S3SourceError(
        `${this.ctx.uri}: the server sent more bytes than the range asked for (it ignores the Range header); ` +
          'use an S3-compatible store that supports ranged GETs',
      );
    this.received += chunk.length;
    this.chunks.push(chunk);
    this.ctx.onBuffered(chunk.length);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
