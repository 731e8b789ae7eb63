import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Redis } from 'ioredis';
import { RawConnection } from './raw-connection.js';
import { pipeFile } from './redis-pipe.js';
import { RespWriter } from './resp.js';
import { measureInProcess, type RunSample } from './sample.js';
import { readWithIoredis, readWithRawSocket } from './source-reader.js';

/**
 * The two ceilings every redis-ferry number is judged against:
 * (a) what the target can ingest: RESTORE commands prepared ahead of time, streamed by
 *     `redis-cli --pipe`; no client logic on the path at all.
 * (b) what the source can be read at: SCAN + DUMP + PTTL with nothing written.
 */

export interface Endpoint {
  host: string;
  port: number;
}

export interface RestoreFile {
  path: string;
  keys: number;
  /** Sum of DUMP payload sizes: the dataset's size in the unit every scenario reports. */
  bytes: number;
}

/** Dumps the whole source into a file of `RESTORE key ttl payload` commands (not timed). */
export async function writeRestoreFile(source: Endpoint, path: string, scanCount: number): Promise<RestoreFile> {
  const conn = await RawConnection.open(source.host, source.port);
  const out = createWriteStream(path);
  const w = new RespWriter();
  let keys = 0;
  let bytes = 0;
  try {
    await readWithRawSocket(conn, scanCount, async (batch) => {
      for (let i = 0; i < batch.keys.length; i++) {
        const payload = batch.payloads[i];
        const pttl = batch.pttls[i]!;
        if (!payload || pttl === -2) continue;
        // Relative TTL as PTTL gave it; -1 (no expiry) is RESTORE's 0.
        w.array(4)
          .bulk('RESTORE')
          .bulkBytes(batch.keys[i]!)
          .bulk(pttl === -1 ? 0 : pttl)
          .bulkBytes(payload);
        keys++;
        bytes += payload.length;
      }
      if (!out.write(w.take())) await once(out, 'drain');
    });
  } finally {
    conn.close();
    out.end();
    await once(out, 'close');
  }
  return { path, keys, bytes };
}

/** (a) One repetition into an empty target: time `redis-cli --pipe < file`, then check the key count. */
export async function measureIngest(file: RestoreFile, target: Endpoint, admin: Redis): Promise<RunSample> {
  const result = await pipeFile(target.host, target.port, file.path);
  if (result.errors > 0) throw new Error(`(a) ingest: ${result.errors} RESTORE command(s) failed`);
  const landed = await admin.dbsize();
  if (landed !== file.keys) throw new Error(`(a) ingest: target holds ${landed} keys, expected ${file.keys}`);
  return { keys: file.keys, bytes: file.bytes, ms: result.ms };
}

/** (b) One repetition of the read ceiling through ioredis. */
export function measureReadIoredis(client: Redis, scanCount: number): Promise<RunSample> {
  return measureInProcess(() => readWithIoredis(client, scanCount));
}

/** (b) One repetition of the read ceiling over a raw socket (a fresh connection each time). */
export async function measureReadRaw(source: Endpoint, scanCount: number): Promise<RunSample> {
  const conn = await RawConnection.open(source.host, source.port);
  try {
    return await measureInProcess(() => readWithRawSocket(conn, scanCount));
  } finally {
    conn.close();
  }
}
