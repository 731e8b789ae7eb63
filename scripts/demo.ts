/**
 * `npm run demo`: the whole job on one machine, end to end. Starts two throwaway redis-servers
 * (a source with a password, an empty target), fills the source with every core type, migrates
 * with the real CLI, verifies every key, prints the summary and stops the servers.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { totalDifferences } from '../src/core/verify-report.js';
import { verifyDb } from '../src/verify/verify-db.js';
import { seedMixedDataset, seedStrings } from '../test/fixtures/mixed-dataset.js';
import { startRedis, stopAll } from '../test/helpers/index.js';
import { redisServerProblem } from '../test/helpers/redis-binaries.js';

const cli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

async function main(): Promise<number> {
  const problem = redisServerProblem('npm run demo');
  if (problem) {
    console.error(problem);
    return 1;
  }
  const work = await mkdtemp(join(tmpdir(), 'redis-ferry-demo-'));
  console.log('Starting a source (password "123456") and an empty target redis-server on free loopback ports…');
  const [source, target] = await Promise.all([startRedis({ password: '123456' }), startRedis()]);
  try {
    const keys = await seedMixedDataset(source.client());
    await seedStrings(source.client(), 50_000, 'session:');
    await seedMixedDataset(source.client({ db: 2 }), { perType: 10, prefix: 'db2:' });
    console.log(
      `Source ${source.address}: ${keys + 50_000} keys in db0 (strings, hashes, lists, sets, sorted sets, a stream with a consumer group, HyperLogLog, bitmaps, binary keys, 20% with TTL) and more in db2.\n`,
    );

    const args = [
      'migrate',
      '--source',
      `redis://${source.address}`,
      '--target',
      `redis://${target.address}`,
      '--state-dir',
      join(work, 'state'),
    ];
    console.log(`$ REDIS_FERRY_SOURCE_PASSWORD=… redis-ferry ${args.join(' ')}\n`);
    const code = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
        stdio: 'inherit',
        env: { ...process.env, REDIS_FERRY_SOURCE_PASSWORD: '123456' },
      });
      child.on('close', (c) => resolve(c ?? 1));
    });
    if (code !== 0) {
      console.error(`\nredis-ferry exited with ${code}`);
      return code;
    }

    console.log('\nVerifying every key (existence, type, TTL within 1 s, value)…');
    let failed = 0;
    for (const db of [0, 2]) {
      const report = await verifyDb(source.client({ db }), target.client({ db }), { level: 'full', ttlToleranceMs: 1000 });
      const diffs = totalDifferences(report);
      failed += diffs;
      console.log(
        `  db${db}: ${report.checked} keys checked, ${diffs === 0 ? 'all identical' : `${diffs} differ: ${JSON.stringify(report.differences)} e.g. ${JSON.stringify(report.examples)}`}`,
      );
    }
    console.log(failed === 0 ? '\nDemo passed: every key arrived identical.' : '\nDemo FAILED: see the differences above.');
    return failed === 0 ? 0 : 1;
  } finally {
    await Promise.all([source.stop(), target.stop()]);
    await stopAll();
    await rm(work, { recursive: true, force: true });
    console.log('Servers stopped.');
  }
}

process.exitCode = await main();
