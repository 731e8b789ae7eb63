import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

// The SDK warns on Node 20 that its 2027 releases need Node 22; the tests run on 20 on purpose.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** s3rver accepts these and only these (it checks signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A real S3 API (s3rver) on a free loopback port, its data in a temporary directory. */
export interface S3Server {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly dir: string;
  /** A client for the test's own uploads and checks (path-style, s3rver's credentials). */
  readonly client: S3Client;
  /** Credentials, region and the SDK warning switch, for a child process that reads from this server. */
  env(): Record<string, string>;
  createBucket(bucket: string): Promise<void>;
  /** Uploads a Buffer, or a file streamed from disk (so a large RDB is never read whole). */
  putObject(bucket: string, key: string, body: Buffer | { path: string }): Promise<void>;
  /** Closes the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

export async function startS3Server(): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir });
  let running = true;
  const { port } = await server.run().catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    // No checksum trailer on uploads: s3rver predates aws-chunked trailers.
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    dir,
    client,
    env: () => ({
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    }),
    createBucket: async (bucket) => {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    },
    putObject: async (bucket, key, body) => {
      const payload = Buffer.isBuffer(body)
        ? { Body: body }
        : { Body: createReadStream(body.path), ContentLength: (await stat(body.path)).size };
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, ...payload }));
    },
    stop: async () => {
      if (!running) return;
      running = false;
      client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
