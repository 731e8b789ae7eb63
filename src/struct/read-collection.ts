import { ChunkSizer, sizeOf } from './chunk-sizer.js';
import type { Command, TypeReader } from './contracts.js';
import type { ReaderContext } from './reader-context.js';

const SCAN = { hash: 'HSCAN', set: 'SSCAN', zset: 'ZSCAN' } as const;
const LENGTH = { hash: 'HLEN', set: 'SCARD', zset: 'ZCARD' } as const;
/** Worker memory per element beyond its bytes: a reply Buffer and its slot in the command's arguments. */
const ELEMENT_OVERHEAD = 160;

/**
 * Hashes (HSCAN → HSET), sets (SSCAN → SADD) and sorted sets (ZSCAN → ZADD). SCAN's guarantee
 * holds: every element present for the whole copy is read at least once; duplicates are harmless
 * because the writes are idempotent. Scores travel as the server's own text ("%.17g", "inf",
 * "-inf"), which parses back to the identical double.
 */
export function scanReader(type: 'hash' | 'set' | 'zset', ctx: ReaderContext): TypeReader {
  const { key, temp } = ctx;
  const sizer = new ChunkSizer(ctx.chunkSize, ctx.chunkBytes, type === 'set' ? ELEMENT_OVERHEAD : 2 * ELEMENT_OVERHEAD);
  let cursor = '0';
  let started = false;
  return {
    fingerprint: [LENGTH[type], key],
    notCarried: {},
    async next() {
      if (started && cursor === '0') return null;
      started = true;
      const [next, items] = (await ctx.read(SCAN[type], key, cursor, 'COUNT', sizer.count())) as [Buffer, Buffer[]];
      cursor = next.toString();
      const elements = type === 'set' ? items.length : items.length / 2;
      const bytes = sizeOf(items);
      sizer.observe(elements, bytes);
      if (items.length === 0) return { commands: [], elements: 0, bytes: 0 };
      let command: Command;
      if (type === 'hash') command = ['HSET', temp, ...items];
      else if (type === 'set') command = ['SADD', temp, ...items];
      else {
        // ZSCAN gives member, score; ZADD takes score, member.
        const args: Buffer[] = new Array(items.length);
        for (let i = 0; i < items.length; i += 2) {
          args[i] = items[i + 1]!;
          args[i + 1] = items[i]!;
        }
        command = ['ZADD', temp, ...args];
      }
      return { commands: [command], elements, bytes };
    },
  };
}

/**
 * Lists by index: LRANGE pages → RPUSH. A list that is pushed or popped at its head while it is
 * copied shifts under the indexes (see changedDuringCopy); DUMP/RESTORE is atomic, this is not.
 */
export function listReader(ctx: ReaderContext): TypeReader {
  const { key, temp } = ctx;
  const sizer = new ChunkSizer(ctx.chunkSize, ctx.chunkBytes, ELEMENT_OVERHEAD);
  let index = 0;
  let done = false;
  return {
    fingerprint: ['LLEN', key],
    notCarried: {},
    async next() {
      if (done) return null;
      const count = sizer.count();
      const items = (await ctx.read('LRANGE', key, index, index + count - 1)) as Buffer[];
      index += items.length;
      done = items.length < count;
      if (items.length === 0) return null;
      const bytes = sizeOf(items);
      sizer.observe(items.length, bytes);
      return { commands: [['RPUSH', temp, ...items]], elements: items.length, bytes };
    },
  };
}
