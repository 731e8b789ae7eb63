import type { RedisServer } from '../test/helpers/index.js';
import { createPrng } from './prng.js';
import { openPipe } from './redis-pipe.js';
import { RespWriter } from './resp.js';
import { startLoadedPair } from './topology.js';

/**
 * (v) The memory bound, not the rate: a source of large, incompressible strings (4 MB each by
 * default, under the 16 MB big-key threshold, so they go through DUMP/RESTORE). SCAN counts keys,
 * so without a byte bound one batch of 1000 such keys would be read as one 4 GB reply; the row
 * shows redis-ferry's peak RSS stays flat however large the values are.
 */
export interface LargeValueSpec {
  keys: number;
  valueBytes: number;
  seed: number;
}

export const DEFAULT_LARGE_VALUES: Omit<LargeValueSpec, 'seed'> = { keys: 256, valueBytes: 4 * 1024 * 1024 };

export interface LargeValuePair {
  source: RedisServer;
  target: RedisServer;
  /** Total value bytes on the source. */
  bytes: number;
  stop(): Promise<void>;
}

/**
 * Each value is a window of one seeded pseudo-random block, at its own offset: random bytes, so
 * DUMP's LZF compression cannot shrink them (it would shrink repeated text to almost nothing).
 */
export async function startLargeValuePair(spec: LargeValueSpec): Promise<LargeValuePair> {
  const pair = await startLoadedPair(spec.keys, async (source) => {
    const prng = createPrng(spec.seed);
    const block = Buffer.alloc(spec.valueBytes + 65_536);
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(Math.floor(prng.next() * 4294967296), i);
    const pipe = openPipe(source.host, source.port);
    const w = new RespWriter(spec.valueBytes + 1024);
    for (let i = 0; i < spec.keys; i++) {
      const offset = prng.int(0, 65_536);
      w.array(3)
        .bulk('SET')
        .bulk(`large:${i}`)
        .bulkBytes(block, offset, offset + spec.valueBytes);
      await pipe.write(w.take());
    }
    const result = await pipe.end();
    if (result.errors > 0) throw new Error(`loading large values: ${result.errors} SET command(s) failed`);
  });
  return { source: pair.source, target: pair.target, bytes: spec.keys * spec.valueBytes, stop: pair.stop };
}
