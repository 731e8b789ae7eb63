/**
 * (f) The application's writes during a follow run: a child process of its own (so its CPU and event
 * loop are not the bench's) writing to the source at a fixed rate, in 10 ms pipelines, a mix of
 * SET/HSET/LPUSH/ZADD/DEL/EXPIRE/RENAME over the dataset's own key names (bench/dataset.ts).
 *
 * `node --import tsx bench/follow-writer.ts PORT RATE KEYS SEED`: writes until SIGTERM, then prints one
 * JSON line `{ sent, errors, ms, stoppedAt }` (stoppedAt: Date.now() once the last write was answered).
 */
import { Redis } from 'ioredis';
import { createPrng } from './prng.js';

const [port, rate, keys, seed] = process.argv.slice(2).map(Number) as [number, number, number, number];
const TICK_MS = 10;
const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0 });
const prng = createPrng(seed);
const value = Buffer.alloc(64, 'w');

/** One write; RENAME of a key that is gone and similar type-free misses come back as errors, counted. */
function queue(p: ReturnType<Redis['pipeline']>): void {
  const i = prng.int(0, keys - 1);
  const roll = prng.next();
  if (roll < 0.3) p.set(`bench:str:${i}`, value);
  else if (roll < 0.45) p.hset(`bench:hash:${i}`, `w${prng.int(0, 9)}`, value);
  else if (roll < 0.55) p.lpush(`bench:list:${i}`, value);
  else if (roll < 0.7) p.zadd(`bench:zset:${i}`, prng.int(0, 1000), `w${prng.int(0, 9)}`);
  else if (roll < 0.8) p.del(`bench:str:${i}`);
  else if (roll < 0.9) p.expire(`bench:str:${i}`, 3600);
  else p.rename(`bench:str:${i}`, `bench:str:${prng.int(0, keys - 1)}`);
}

let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
});

const started = performance.now();
let sent = 0;
let errors = 0;
while (!stopping) {
  // Catch up to the schedule, at most one second's worth at a time: a source that cannot take the
  // rate shows as an achieved rate below the target, not as an unbounded pipeline.
  const due = Math.min(Math.floor(((performance.now() - started) / 1000) * rate) - sent, rate);
  if (due > 0) {
    const p = redis.pipeline();
    for (let n = 0; n < due; n++) queue(p);
    const replies = (await p.exec()) ?? [];
    errors += replies.filter(([e]) => e).length;
    sent += due;
  }
  await new Promise((r) => setTimeout(r, TICK_MS));
}
const stoppedAt = Date.now();
const ms = performance.now() - started;
redis.disconnect();
process.stdout.write(`${JSON.stringify({ sent, errors, ms, stoppedAt })}\n`);
