/**
 * `tsx bench/ab.ts --a OLD.mjs --b NEW.mjs [--keys 300000] [--runs 4]`: a same-run A/B of two
 * redis-ferry CLI bundles, row (d) standalone → standalone, on one loaded pair. Runs alternate
 * A B B A A B B A …, so a drift in the machine's load weighs on both alike; each run starts from
 * an emptied target (FLUSHALL, untimed) and is checked like every (d) run. Prints the medians and
 * B's ratio to A. Build A from another commit in a temporary `git worktree` (`npm run build`
 * there) and copy its dist/redis-ferry.mjs next to this checkout's, so both load the same
 * node_modules. See bench/README.md.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { stopAll } from '../test/helpers/index.js';
import { DEFAULT_SEED } from './dataset.js';
import { measureStartupCost } from './ferry-child.js';
import { ferryOnce } from './ferry-scenarios.js';
import { median } from './report.js';
import { type RunSample, withServerCpu } from './sample.js';
import { startStandalonePair } from './topology.js';

const log = (line: string) => process.stderr.write(`${line}\n`);

const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    keys: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '4' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    'ferry-args': { type: 'string', default: '' },
  },
});
if (!values.a || !values.b) {
  log('usage: tsx bench/ab.ts --a OLD.mjs --b NEW.mjs [--keys 300000] [--runs 4] [--seed 1] [--ferry-args="…"]');
  process.exit(2);
}
const keys = Number(values.keys);
const runs = Number(values.runs);
const args = values['ferry-args'].split(/\s+/).filter((a) => a.length > 0);
const bundles = { A: values.a, B: values.b };

interface Row {
  samples: RunSample[];
  startupCpuMs: number;
}

const stats = (row: Row) => {
  const m = (f: (s: RunSample) => number) => median(row.samples.map(f));
  return {
    keysPerS: m((s) => s.keys / (s.ms / 1000)),
    ms: m((s) => s.ms),
    cpuPer1M: m((s) => ((s.cpuMs ?? 0) / s.keys) * 1e6),
    rssMb: m((s) => s.rssMb ?? 0),
    sourceCpuPer1M: m((s) => ((s.serverCpuMs?.source ?? 0) / s.keys) * 1e6),
    targetCpuPer1M: m((s) => ((s.serverCpuMs?.target ?? 0) / s.keys) * 1e6),
  };
};

try {
  log(
    `A/B: ${keys} keys, ${runs} runs each, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows: Record<'A' | 'B', Row> = {
    A: { samples: [], startupCpuMs: (await measureStartupCost(bundles.A)).cpuMs },
    B: { samples: [], startupCpuMs: (await measureStartupCost(bundles.B)).cpuMs },
  };
  const pair = await startStandalonePair({ keys, seed: Number(values.seed), ttlShare: 0.2 });
  const admin = pair.targetAdmin;
  const sides = { source: [pair.sourceAdmin], target: [admin] };
  try {
    for (let i = 0; i < runs * 2; i++) {
      const which = (i % 4 === 0 || i % 4 === 3 ? 'A' : 'B') as 'A' | 'B';
      const options = {
        cli: bundles[which],
        source: `redis://${pair.source.address}`,
        target: `redis://${pair.target.address}`,
        startupCpuMs: rows[which].startupCpuMs,
        args,
      };
      await admin.flushall();
      const sample = await withServerCpu(sides, () => ferryOnce(options, [admin], keys));
      rows[which].samples.push(sample);
      const cpu = (((sample.cpuMs ?? 0) / sample.keys) * 1e6) / 1000;
      log(
        `  ${which}: ${Math.round(sample.keys / (sample.ms / 1000))} keys/s, ${(sample.ms / 1000).toFixed(2)} s, ` +
          `client CPU ${cpu.toFixed(1)} s/1M keys, peak RSS ${(sample.rssMb ?? 0).toFixed(0)} MB, load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  } finally {
    await pair.stop();
  }
  const a = stats(rows.A);
  const b = stats(rows.B);
  const line = (name: string, s: typeof a) =>
    `| ${name} | ${Math.round(s.keysPerS)} | ${(s.ms / 1000).toFixed(2)} | ${(s.cpuPer1M / 1000).toFixed(1)} | ` +
    `${(s.sourceCpuPer1M / 1000).toFixed(1)} | ${(s.targetCpuPer1M / 1000).toFixed(1)} | ${s.rssMb.toFixed(0)} |`;
  const each = (row: Row) => row.samples.map((s) => Math.round(s.keys / (s.ms / 1000))).join(', ');
  console.log(
    [
      `A = ${bundles.A}, B = ${bundles.B}; ${keys} keys, ${runs} runs each (A B B A …), medians`,
      '',
      '| bundle | keys/s | s | client CPU s/1M keys | source CPU s/1M | target CPU s/1M | peak RSS MB |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      line('A', a),
      line('B', b),
      '',
      `B/A keys/s: ${(b.keysPerS / a.keysPerS).toFixed(3)}; runs A: ${each(rows.A)}; runs B: ${each(rows.B)}`,
      `load at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    ].join('\n'),
  );
} finally {
  await stopAll();
}
