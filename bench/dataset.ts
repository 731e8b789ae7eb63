import { createHash } from 'node:crypto';
import { keySlot } from '../src/redis/key-slot.js';
import { createPrng, type Prng } from './prng.js';
import { openPipe, type PipeSink } from './redis-pipe.js';
import { RespWriter } from './resp.js';

/**
 * The benchmark dataset: `keys` keys of mixed types and sizes, generated as raw RESP from a seeded
 * PRNG and streamed through `redis-cli --pipe` (1M keys load in seconds, where a client-side
 * pipeline would take minutes). Same seed and key count → byte-identical command stream.
 */
export interface DatasetSpec {
  keys: number;
  seed: number;
  /** Share of keys given a TTL (hours, so nothing expires during a run). */
  ttlShare: number;
}

export const DEFAULT_SEED = 1;

/** Share of keys per kind (by key count). Small collections stay listpack/intset-encoded. */
export const KIND_MIX = [
  ['str', 0.5], //      8-200 bytes, skewed small
  ['str-mid', 0.05], // 200 B-1 KB
  ['str-big', 0.03], // 1-10 KB
  ['int', 0.05], //     integer-encoded strings
  ['hash', 0.14],
  ['list', 0.08],
  ['set', 0.08], //     half of them integer sets
  ['zset', 0.07],
] as const;
export type Kind = (typeof KIND_MIX)[number][0];

/** Share of collections that are large (hashtable / skiplist / multi-node quicklist encodings). */
const BIG_COLLECTION_SHARE = 0.005;
const HOUR_MS = 3_600_000;
const FLUSH_BYTES = 1 << 20;

export interface DatasetStats {
  keys: number;
  commands: number;
  /** RESP bytes sent to the source. */
  respBytes: number;
  withTtl: number;
  byKind: Record<Kind, number>;
  bigCollections: number;
  /** sha256 of the command stream (standalone load only), to check reproducibility. */
  digest?: string;
  loadMs: number;
}

/** 1 MiB of word-like text: values are slices of it, so they compress about as much as real text. */
function makeTextPool(prng: Prng): Buffer {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const words = Array.from({ length: 512 }, () => Array.from({ length: prng.int(3, 10) }, () => letters[prng.int(0, 25)]).join(''));
  const parts: string[] = [];
  let size = 0;
  while (size < 1 << 20) {
    const w = words[prng.int(0, words.length - 1)]!;
    parts.push(w);
    size += w.length + 1;
  }
  return Buffer.from(parts.join(prng.chance(0.5) ? ' ' : ','), 'latin1');
}

/** Writes the commands for key number `i` into `w`; returns the key (for routing) and its kind. */
function writeKey(prng: Prng, pool: Buffer, w: RespWriter, i: number, ttlShare: number, stats: DatasetStats): string {
  const slice = (len: number) => {
    const start = prng.int(0, pool.length - len - 1);
    w.bulkBytes(pool, start, start + len);
  };
  const roll = prng.next();
  let kind: Kind = 'str';
  let cumulative = 0;
  for (const [k, share] of KIND_MIX) {
    kind = k;
    cumulative += share;
    if (roll < cumulative) break;
  }
  const key = `bench:${kind}:${i}`;
  const ttl = prng.chance(ttlShare) ? 2 * HOUR_MS + prng.int(0, 4 * HOUR_MS) : 0;
  const big = kind !== 'str' && kind !== 'str-mid' && kind !== 'str-big' && kind !== 'int' && prng.chance(BIG_COLLECTION_SHARE);
  stats.byKind[kind]++;
  if (ttl > 0) stats.withTtl++;
  if (big) stats.bigCollections++;

  switch (kind) {
    case 'str':
    case 'str-mid':
    case 'str-big':
    case 'int': {
      const len =
        kind === 'str' ? 8 + Math.floor(prng.next() ** 3 * 192) : kind === 'str-mid' ? prng.int(200, 1024) : prng.int(1024, 10240);
      w.array(ttl > 0 ? 5 : 3)
        .bulk('SET')
        .bulk(key);
      if (kind === 'int') w.bulk(prng.int(0, 1_000_000_000));
      else slice(len);
      if (ttl > 0) w.bulk('PX').bulk(ttl);
      stats.commands++;
      return key;
    }
    case 'hash': {
      const n = big ? prng.int(200, 800) : prng.int(3, 20);
      w.array(2 + 2 * n)
        .bulk('HSET')
        .bulk(key);
      for (let j = 0; j < n; j++) {
        w.bulk(`f${j}`);
        slice(prng.int(4, 40));
      }
      break;
    }
    case 'list': {
      const n = big ? prng.int(500, 2000) : prng.int(3, 30);
      w.array(2 + n)
        .bulk('RPUSH')
        .bulk(key);
      for (let j = 0; j < n; j++) slice(prng.int(4, 40));
      break;
    }
    case 'set': {
      const n = big ? prng.int(200, 800) : prng.int(3, 30);
      const ints = prng.chance(0.5);
      w.array(2 + n)
        .bulk('SADD')
        .bulk(key);
      // Distinct members, so SADD stores exactly n of them.
      for (let j = 0; j < n; j++) {
        if (ints) w.bulk(j * 1000 + prng.int(0, 999));
        else w.bulk(`m${j}:${prng.int(0, 99999)}`);
      }
      break;
    }
    case 'zset': {
      const n = big ? prng.int(200, 600) : prng.int(3, 30);
      w.array(2 + 2 * n)
        .bulk('ZADD')
        .bulk(key);
      for (let j = 0; j < n; j++) w.bulk((prng.next() * 1000).toFixed(2)).bulk(`z${j}:${prng.int(0, 99999)}`);
      break;
    }
  }
  stats.commands++;
  if (ttl > 0) {
    w.array(3).bulk('PEXPIRE').bulk(key).bulk(ttl);
    stats.commands++;
  }
  return key;
}

export interface LoadTarget {
  host: string;
  port: number;
  /** For a cluster master: the slot ranges it owns. Omitted for a standalone server. */
  slots?: [number, number][];
}

/**
 * Generates the dataset and loads it: into one server, or (several targets with slot ranges) into
 * a cluster, each command sent to the master that owns its key's slot.
 */
export async function loadDataset(spec: DatasetSpec, targets: LoadTarget[]): Promise<DatasetStats> {
  const started = performance.now();
  const prng = createPrng(spec.seed);
  const pool = makeTextPool(prng);
  const stats: DatasetStats = {
    keys: spec.keys,
    commands: 0,
    respBytes: 0,
    withTtl: 0,
    byKind: Object.fromEntries(KIND_MIX.map(([k]) => [k, 0])) as Record<Kind, number>,
    bigCollections: 0,
    loadMs: 0,
  };
  const standalone = targets.length === 1 && !targets[0]!.slots;
  const hash = standalone ? createHash('sha256') : undefined;
  const slotOwner = new Uint8Array(16384);
  targets.forEach((t, index) => {
    for (const [from, to] of t.slots ?? []) slotOwner.fill(index, from, to + 1);
  });

  const sinks: PipeSink[] = targets.map((t) => openPipe(t.host, t.port));
  const writers = targets.map(() => new RespWriter());
  // Cluster: build each key's commands in a scratch writer, then copy them to the owner's writer.
  const scratch = new RespWriter(1 << 16);
  const flush = async (index: number) => {
    const chunk = writers[index]!.take();
    stats.respBytes += chunk.length;
    hash?.update(chunk);
    await sinks[index]!.write(chunk);
  };
  let failure: unknown;
  try {
    for (let i = 0; i < spec.keys; i++) {
      if (standalone) {
        writeKey(prng, pool, writers[0]!, i, spec.ttlShare, stats);
        if (writers[0]!.length >= FLUSH_BYTES) await flush(0);
        continue;
      }
      const key = writeKey(prng, pool, scratch, i, spec.ttlShare, stats);
      const owner = slotOwner[keySlot(Buffer.from(key, 'latin1'))]!;
      writers[owner]!.appendRaw(scratch.view());
      scratch.reset();
      if (writers[owner]!.length >= FLUSH_BYTES) await flush(owner);
    }
    for (let index = 0; index < writers.length; index++) if (writers[index]!.length > 0) await flush(index);
  } catch (error) {
    failure = error;
  }
  // Always end every redis-cli, so none is left waiting on its stdin.
  const results = await Promise.allSettled(sinks.map((s) => s.end()));
  if (failure !== undefined) throw failure;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const errors = results.reduce((n, r) => n + (r.status === 'fulfilled' ? r.value.errors : 0), 0);
  if (errors > 0) throw new Error(`loading the dataset: ${errors} command(s) failed`);
  if (hash) stats.digest = hash.digest('hex').slice(0, 16);
  stats.loadMs = performance.now() - started;
  return stats;
}
