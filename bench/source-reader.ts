import type { Redis } from 'ioredis';
import type { RawConnection } from './raw-connection.js';
import { RespError, type RespReply, RespWriter } from './resp.js';

/**
 * Minimal SCAN + DUMP + PTTL readers: the source's read ceiling, writing nothing. Each round trip
 * carries the DUMP/PTTL of one batch *and* the SCAN for the next, so a batch costs one round trip;
 * there is no checkpointing, filtering or conversion. Two variants: through ioredis (the client the
 * engine uses) and over a raw socket (what the server itself can serve).
 */
export interface ReadBatch {
  keys: Buffer[];
  /** null: the key vanished between SCAN and DUMP. */
  payloads: (Buffer | null)[];
  /** PTTL replies as Redis gives them (-1 no expiry, -2 gone). */
  pttls: number[];
}

export interface ReadTotals {
  keys: number;
  bytes: number;
}

export type BatchHandler = (batch: ReadBatch) => void | Promise<void>;

function count(batch: ReadBatch, totals: ReadTotals): void {
  for (const p of batch.payloads) {
    if (p === null) continue;
    totals.keys++;
    totals.bytes += p.length;
  }
}

/** Through ioredis: `scanBuffer` + a pipeline of `dumpBuffer`/`pttl` (+ the next `scanBuffer`). */
export async function readWithIoredis(client: Redis, scanCount: number, onBatch?: BatchHandler): Promise<ReadTotals> {
  const totals: ReadTotals = { keys: 0, bytes: 0 };
  let [next, keys] = (await client.scanBuffer('0', 'COUNT', scanCount)) as [Buffer, Buffer[]];
  for (;;) {
    const cursor = next.toString();
    const last = cursor === '0';
    if (keys.length === 0 && last) break;
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.dumpBuffer(key).pttl(key);
    if (!last) pipeline.scanBuffer(cursor, 'COUNT', scanCount);
    const replies = (await pipeline.exec()) as [Error | null, unknown][];
    const batch: ReadBatch = { keys, payloads: [], pttls: [] };
    for (let i = 0; i < keys.length; i++) {
      const [dumpError, payload] = replies[2 * i]!;
      const [pttlError, pttl] = replies[2 * i + 1]!;
      if (dumpError || pttlError) throw dumpError ?? pttlError;
      batch.payloads.push(payload as Buffer | null);
      batch.pttls.push(pttl as number);
    }
    count(batch, totals);
    await onBatch?.(batch);
    if (last) break;
    const [scanError, scan] = replies[replies.length - 1]!;
    if (scanError) throw scanError;
    [next, keys] = scan as [Buffer, Buffer[]];
  }
  return totals;
}

function expectScan(reply: RespReply | undefined): [string, Buffer[]] {
  if (reply instanceof RespError) throw reply;
  const [cursor, keys] = reply as [Buffer, Buffer[]];
  return [cursor.toString('latin1'), keys];
}

/** Over a raw socket: the same round trips, with commands encoded into one buffer per batch. */
export async function readWithRawSocket(conn: RawConnection, scanCount: number, onBatch?: BatchHandler): Promise<ReadTotals> {
  const totals: ReadTotals = { keys: 0, bytes: 0 };
  const w = new RespWriter(1 << 16);
  w.command('SCAN', '0', 'COUNT', scanCount);
  let [cursor, keys] = expectScan((await conn.send(w.take(), 1))[0]);
  for (;;) {
    const last = cursor === '0';
    if (keys.length === 0 && last) break;
    for (const key of keys) {
      w.array(2).bulk('DUMP').bulkBytes(key);
      w.array(2).bulk('PTTL').bulkBytes(key);
    }
    if (!last) w.command('SCAN', cursor, 'COUNT', scanCount);
    const replies = await conn.send(w.take(), 2 * keys.length + (last ? 0 : 1));
    const batch: ReadBatch = { keys, payloads: [], pttls: [] };
    for (let i = 0; i < keys.length; i++) {
      const payload = replies[2 * i];
      const pttl = replies[2 * i + 1];
      if (payload instanceof RespError) throw payload;
      if (pttl instanceof RespError) throw pttl;
      batch.payloads.push(payload as Buffer | null);
      batch.pttls.push(pttl as number);
    }
    count(batch, totals);
    await onBatch?.(batch);
    if (last) break;
    [cursor, keys] = expectScan(replies[replies.length - 1]);
  }
  return totals;
}
