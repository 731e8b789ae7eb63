/**
 * Preloaded into the redis-ferry child (`--import`): at exit, writes the process's peak RSS and CPU
 * time to the file named by REDIS_FERRY_BENCH_STATS. The peak is the kernel's own high-water mark
 * of this process's memory (VmHWM in /proc/self/status), so no sampling can miss a short spike.
 * Not getrusage's ru_maxrss: on Linux it carries the parent's RSS at fork over the exec, so a
 * child of a big bench process would report the bench's memory as its own.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function peakRssKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {
    // Not Linux: fall back to getrusage, which is right where fork does not carry it over.
  }
  return process.resourceUsage().maxRSS;
}

const file = process.env.REDIS_FERRY_BENCH_STATS;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: peakRssKb(), userUs: usage.userCPUTime, systemUs: usage.systemCPUTime }));
  });
}
