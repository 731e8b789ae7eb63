import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MigrationInterruptedError } from '../../src/core/errors.js';
import { type S3ByteSourceOptions, s3ByteSource } from '../../src/rdb-s3/s3-byte-source.js';
import { S3ObjectChangedError, S3SourceError, S3UriError } from '../../src/rdb-s3/s3-errors.js';
import { type CuttingProxy, startCuttingProxy } from '../helpers/cutting-proxy.js';
import { S3RVER_CREDENTIALS, type S3Server, startS3Server } from '../helpers/s3-server.js';

const BUCKET = 'snapshots';
const KEY = 'backups/dump.rdb';
const URI = `s3://${BUCKET}/${KEY}`;
const KiB = 1024;
/** A multi-MB object, not a multiple of the window, so the last window is short. */
const SIZE = 5 * 1024 * KiB + 12_345;
const WINDOW = 256 * KiB;
const FAST_RETRY = { maxAttempts: 4, backoff: { initialMs: 10, maxMs: 50 } };

async function collect(chunks: AsyncIterable<Buffer>, sizes: number[] = []): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) {
    sizes.push(chunk.length);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

describe('S3 byte source (against s3rver)', () => {
  let s3: S3Server;
  let dir: string;
  let file: Buffer;
  const open = (uri = URI, options: S3ByteSourceOptions = {}) =>
    s3ByteSource(uri, { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, windowBytes: WINDOW, retry: FAST_RETRY, ...options });

  before(async () => {
    s3 = await startS3Server();
    dir = await mkdtemp(join(tmpdir(), 'ferry-s3-test-'));
    await writeFile(join(dir, 'dump.rdb'), randomBytes(SIZE));
    file = await readFile(join(dir, 'dump.rdb'));
    await s3.createBucket(BUCKET);
    await s3.putObject(BUCKET, KEY, { path: join(dir, 'dump.rdb') });
  });
  after(async () => {
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports the size and the ETag of the object', async () => {
    const source = open();
    const info = await source.head();
    assert.equal(info.size, SIZE);
    assert.equal(await source.size(), SIZE);
    assert.equal(info.etag, `"${createHash('md5').update(file).digest('hex')}"`);
    assert.equal(source.name, URI);
  });

  it('streams the whole object byte for byte, in windows, never holding more than the windows in flight', async () => {
    const source = open();
    const sizes: number[] = [];
    const bytes = await collect(source.stream(0, SIZE), sizes);
    assert.ok(bytes.equals(file), 'the streamed bytes equal the file');
    assert.equal(source.stats.gets, Math.ceil(SIZE / WINDOW), 'one ranged GET per window');
    assert.ok(Math.max(...sizes) <= WINDOW, `no chunk is larger than a window (largest ${Math.max(...sizes)})`);
    assert.ok(source.stats.maxBufferedBytes <= 2 * WINDOW, `buffered at most 2 windows (${source.stats.maxBufferedBytes})`);
    assert.equal(source.stats.bufferedBytes, 0);
  });

  it('keeps memory bounded when the reader is much slower than S3', async () => {
    const source = open(URI, { windowsInFlight: 3 });
    const sizes: number[] = [];
    let count = 0;
    const parts: Buffer[] = [];
    for await (const chunk of source.stream(0, SIZE)) {
      sizes.push(chunk.length);
      parts.push(chunk);
      // A slow reader: every few chunks, yield to the event loop many times so the fetches run ahead.
      if (++count % 4 === 0) for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(Buffer.concat(parts).equals(file));
    assert.ok(source.stats.maxBufferedBytes <= 3 * WINDOW, `buffered at most 3 windows (${source.stats.maxBufferedBytes})`);
    assert.ok(source.stats.maxBufferedBytes < SIZE / 4, 'never anything near the whole object');
  });

  it('starts with a small window and doubles it, so a reader that stops early fetched little', async () => {
    const MiB = 1024 * KiB;
    const whole = open(URI, { windowBytes: 4 * MiB });
    assert.ok((await collect(whole.stream(0, SIZE))).equals(file));
    assert.equal(whole.stats.gets, 3, 'windows of 1 MiB, 2 MiB, then the rest (under 4 MiB)');
    assert.equal(whole.stats.receivedBytes, SIZE, 'nothing fetched twice');

    const early = open(URI, { windowBytes: 8 * MiB });
    for await (const chunk of early.stream(0, SIZE)) {
      assert.ok(chunk.length > 0);
      break;
    }
    assert.ok(early.stats.receivedBytes <= 3 * MiB, `a header-sized read fetched ${early.stats.receivedBytes} bytes`);
  });

  it('reads ranged spans exactly: inside a window, across window boundaries, the last byte, and empty', async () => {
    const source = open();
    // Not [0, 1): s3rver 3.7.1 reads `bytes=0-0` as the whole object (real S3 does not), and the source
    // refuses a reply longer than the range asked for.
    const spans: [number, number][] = [
      [0, 2],
      [1, 2],
      [100, 5_000],
      [WINDOW - 10, WINDOW + 10],
      [WINDOW * 3 - 1, WINDOW * 7 + 3],
      [SIZE - 1, SIZE],
      [SIZE - WINDOW - 7, SIZE],
      [4_000, 4_000],
      [SIZE, SIZE],
    ];
    for (const [start, end] of spans) {
      const bytes = await collect(source.stream(start, end));
      assert.ok(bytes.equals(file.subarray(start, end)), `bytes [${start}, ${end})`);
    }
  });

  it('refuses a range outside the object', async () => {
    const source = open();
    await assert.rejects(collect(source.stream(10, SIZE + 1)), /outside s3:\/\/snapshots\/backups\/dump\.rdb/);
  });

  it('says clearly when the object or the bucket does not exist', async () => {
    await assert.rejects(open(`s3://${BUCKET}/no/such.rdb`).size(), (error: Error) => {
      assert.ok(error instanceof S3SourceError);
      assert.match(error.message, /^s3:\/\/snapshots\/no\/such\.rdb does not exist \(.*\); check the bucket and key/);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    await assert.rejects(open('s3://no-such-bucket/dump.rdb').size(), /^S3SourceError: s3:\/\/no-such-bucket\/dump\.rdb does not exist/);
  });

  it('rejects a malformed URI in one line before any request', () => {
    for (const uri of ['s3:/x/y', 's3://bucket', 's3://bucket/', 's3://Bad_Bucket/k', 's3://b/k', 's3://bucket/dir/']) {
      assert.throws(
        () => s3ByteSource(uri),
        (error: Error) => error instanceof S3UriError && error.message.startsWith(`bad S3 URI "${uri}": `) && !error.message.includes('\n'),
        uri,
      );
    }
  });

  it('resumes a window from the last byte received when the connection is reset mid-body', async () => {
    let proxy: CuttingProxy | undefined;
    try {
      const port = Number(new URL(s3.endpoint).port);
      proxy = await startCuttingProxy(port, { afterBytes: 100 * KiB, cuts: 3 });
      const source = open(URI, { endpoint: proxy.endpoint });
      const bytes = await collect(source.stream(0, SIZE));
      assert.ok(bytes.equals(file), 'the bytes are exact despite the resets');
      assert.equal(proxy.cutCount(), 3);
      assert.equal(source.stats.retries, 3);
      assert.equal(source.stats.gets, Math.ceil(SIZE / WINDOW) + 3, 'each reset cost one more GET, not a whole-object re-read');
    } finally {
      await proxy?.stop();
    }
  });

  it('gives up with a retryable error after the retries, when every attempt is cut before any byte', async () => {
    let proxy: CuttingProxy | undefined;
    try {
      const port = Number(new URL(s3.endpoint).port);
      proxy = await startCuttingProxy(port, { afterBytes: 0, cuts: 1_000 });
      const source = open(URI, { endpoint: proxy.endpoint });
      await assert.rejects(source.size(), (error: Error) => {
        assert.ok(error instanceof S3SourceError);
        assert.equal(error.retryable, true);
        assert.match(error.message, /failed 4 times in a row/);
        return true;
      });
    } finally {
      await proxy?.stop();
    }
  });

  it('stops with MigrationInterruptedError when the signal aborts mid-stream', async () => {
    const source = open();
    const controller = new AbortController();
    let received = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of source.stream(0, SIZE, controller.signal)) {
          received += chunk.length;
          if (received > WINDOW) controller.abort(new Error('stop'));
        }
      })(),
      MigrationInterruptedError,
    );
    assert.ok(received < SIZE);
  });

  it('refuses an object replaced mid-read, and a resume whose ETag no longer matches', async () => {
    const key = 'changing.rdb';
    await s3.putObject(BUCKET, key, file);
    const source = open(`s3://${BUCKET}/${key}`);
    const { etag } = await source.head();
    const chunks = source.stream(0, SIZE)[Symbol.asyncIterator]();
    await chunks.next();
    await s3.putObject(BUCKET, key, Buffer.concat([file.subarray(1), Buffer.from('x')]));
    await assert.rejects(
      (async () => {
        for (let r = await chunks.next(); !r.done; r = await chunks.next());
      })(),
      S3ObjectChangedError,
    );
    await assert.rejects(open(`s3://${BUCKET}/${key}`, { etag }).size(), /is not the object this restore started from/);
  });
});
