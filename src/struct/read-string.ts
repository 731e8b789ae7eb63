import type { Command, TypeReader } from './contracts.js';
import { type ReaderContext, TypeChangedError } from './reader-context.js';

/**
 * Strings (and what Redis stores as strings: bitmaps, HyperLogLogs, counters) by GETRANGE, written
 * with SET for the first chunk and SETRANGE at the same offset after it (idempotent if a write is
 * ever sent twice). The first read is sent with TYPE: GETRANGE answers "" for a missing key, which
 * must not become an empty string on the target.
 */
export function stringReader(ctx: ReaderContext): TypeReader {
  const { key, temp, chunkBytes } = ctx;
  let offset = 0;
  let done = false;
  return {
    fingerprint: ['STRLEN', key],
    notCarried: {},
    async next() {
      if (done) return null;
      let data: Buffer;
      if (offset === 0) {
        const [chunk, type] = await Promise.all([
          ctx.read('GETRANGE', key, 0, chunkBytes - 1) as Promise<Buffer>,
          ctx.readText('TYPE', key),
        ]);
        if (type === 'none') {
          done = true;
          return null;
        }
        if (type !== 'string') throw new TypeChangedError();
        data = chunk;
      } else {
        data = (await ctx.read('GETRANGE', key, offset, offset + chunkBytes - 1)) as Buffer;
      }
      done = data.length < chunkBytes;
      if (data.length === 0 && offset > 0) return null;
      const command: Command = offset === 0 ? ['SET', temp, data] : ['SETRANGE', temp, offset, data];
      const step = { commands: [command], elements: data.length, bytes: data.length };
      offset += data.length;
      return step;
    },
  };
}
