/**
 * Preloaded into the redis-ferry child (`--import`): at exit, writes the process's peak RSS and CPU
 * time to the file named by REDIS_FERRY_BENCH_STATS. getrusage's ru_maxrss is the kernel's own
 * high-water mark, so no sampling can miss a short spike; /usr/bin/time is not installed here.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.REDIS_FERRY_BENCH_STATS;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, userUs: usage.userCPUTime, systemUs: usage.systemCPUTime }));
  });
}
