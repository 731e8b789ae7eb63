import type { Redis } from 'ioredis';
import type { Endpoint } from './ceilings.js';
import { measureInProcess, type RunSample } from './sample.js';

/**
 * (c) The server-side copy everyone reaches for first: a SCAN loop driving
 * `MIGRATE host port "" 0 timeout COPY REPLACE KEYS k1..kN`. The source serialises and sends the
 * keys itself (and blocks while doing so); the client only moves key names. As in the readers,
 * the next SCAN rides in the same round trip as the current MIGRATE.
 */
export async function migrateAll(source: Redis, target: Endpoint, scanCount: number, timeoutMs: number): Promise<number> {
  let moved = 0;
  let [next, keys] = (await source.scanBuffer('0', 'COUNT', scanCount)) as [Buffer, Buffer[]];
  for (;;) {
    const cursor = next.toString();
    const last = cursor === '0';
    if (keys.length === 0 && last) break;
    const pipeline = source.pipeline();
    if (keys.length > 0)
      pipeline.call('MIGRATE', target.host, String(target.port), '', '0', String(timeoutMs), 'COPY', 'REPLACE', 'KEYS', ...keys);
    if (!last) pipeline.scanBuffer(cursor, 'COUNT', scanCount);
    const replies = (await pipeline.exec()) as [Error | null, unknown][];
    if (keys.length > 0) {
      const [error, reply] = replies[0]!;
      if (error) throw new Error(`(c) MIGRATE failed: ${error.message}`);
      // NOKEY: every key of the batch vanished meanwhile; nothing was sent.
      if (reply !== 'NOKEY') moved += keys.length;
    }
    if (last) break;
    const [scanError, scan] = replies[replies.length - 1]!;
    if (scanError) throw scanError;
    [next, keys] = scan as [Buffer, Buffer[]];
  }
  return moved;
}

/** One repetition into an empty target: migrate everything, then check the target's key count. */
export async function measureMigrate(
  source: Redis,
  target: Endpoint,
  admin: Redis,
  scanCount: number,
  datasetBytes: number,
): Promise<RunSample> {
  const sample = await measureInProcess(async () => ({ keys: await migrateAll(source, target, scanCount, 60_000), bytes: datasetBytes }));
  const landed = await admin.dbsize();
  if (landed !== sample.keys) throw new Error(`(c) MIGRATE: target holds ${landed} keys, expected ${sample.keys}`);
  return sample;
}
