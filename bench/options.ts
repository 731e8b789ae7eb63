import { parseArgs } from 'node:util';
import { DEFAULT_SEED } from './dataset.js';

/** `npm run bench -- [--keys N] [--runs N] [--only a,b,c,d,e,p] [--out FILE] …` */
export interface BenchOptions {
  keys: number;
  runs: number;
  only: Set<Scenario>;
  out: string;
  seed: number;
  scanCount: number;
  rttMs: number;
  latency: 'auto' | 'netns' | 'proxy';
  /** Extra `redis-ferry migrate` flags for every redis-ferry row, e.g. to measure an option. */
  ferryArgs: string[];
  /** (f) the writer's fixed rate during the copy, and the rates stepped through after it. */
  writeRate: number;
  followSteps: number[];
}

export type Scenario = 'a' | 'b' | 'c' | 'ds' | 'dc' | 'e' | 'v' | 'p' | 'f' | 'r';

export const USAGE = `Usage: npm run bench -- [options]
  --keys N        keys in the dataset (default 1000000; 200k and 1M are accepted)
  --runs N        repetitions per scenario, median reported (default 3, at least 3 for RESULTS.md)
  --only LIST     scenarios, comma-separated (default a,b,c,d,e,v):
                    a  target ingest ceiling (RESTORE file through redis-cli --pipe)
                    b  source read ceiling (SCAN + DUMP + PTTL, ioredis and raw socket)
                    c  MIGRATE … COPY REPLACE KEYS in batches from a SCAN loop
                    d  redis-ferry standalone → standalone (ds, then verify quick/full: w) and cluster → cluster (dc)
                    e  redis-ferry with the source behind added round-trip latency
                    v  redis-ferry on 256 incompressible 4 MB values: peak RSS stays bounded
                    p  one redis-ferry run under node --cpu-prof, summarised
                    f  redis-ferry migrate --follow with a writer child at --write-rate during the copy, the time
                       from "writes stopped" to "safe to switch", then the writer stepped through --follow-steps
                       (follow only) to find the rate the follower keeps up with. It writes to the source, so it
                       runs after the other standalone rows; alone (--only f) it replaces its section of --out
                    r  restore from the source's own RDB (BGSAVE): the target's ingest ceiling for that file
                       (redis-cli --pipe of RESTORE … ABSTTL), redis-ferry restore from the local file and from
                       s3rver; its own section of --out (alone, --only r replaces just that section)
  --out FILE      results file (default bench/RESULTS.md)
  --seed N        dataset seed (default 1)
  --scan-count N  SCAN COUNT / batch size for (b) and (c) (default 1000, redis-ferry's default)
  --rtt-ms N      added round-trip time for (e) (default 20)
  --latency MODE  auto (netns + netem, else a userspace delay proxy), netns, proxy (default auto)
  --write-rate N  (f) the writer's writes/s during the copy (default 10000)
  --follow-steps L  (f) writer rates after the copy, comma-separated (default 5000,10000,20000,40000)
  --ferry-args S  extra redis-ferry migrate flags for the (d)/(e)/(p) rows, e.g. --ferry-args="--big-key-threshold 0"`;

function count(name: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value.replace(/_/g, ''));
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1e3 : 1e6) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${value}: expected a positive whole number`);
  return n;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      keys: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '3' },
      only: { type: 'string', default: 'a,b,c,d,e,v' },
      out: { type: 'string', default: 'bench/RESULTS.md' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      'scan-count': { type: 'string', default: '1000' },
      'rtt-ms': { type: 'string', default: '20' },
      latency: { type: 'string', default: 'auto' },
      'ferry-args': { type: 'string', default: '' },
      'write-rate': { type: 'string', default: '10000' },
      'follow-steps': { type: 'string', default: '5000,10000,20000,40000' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const only = new Set<Scenario>();
  for (const token of values.only.split(',').map((t) => t.trim())) {
    if (token === 'd') only.add('ds').add('dc');
    else if (['a', 'b', 'c', 'ds', 'dc', 'e', 'v', 'p', 'f', 'r'].includes(token)) only.add(token as Scenario);
    else throw new Error(`--only: unknown scenario "${token}" (a, b, c, d, ds, dc, e, v, p, f, r)`);
  }
  if (!['auto', 'netns', 'proxy'].includes(values.latency)) throw new Error('--latency: auto, netns or proxy');
  return {
    keys: count('keys', values.keys),
    runs: count('runs', values.runs),
    only,
    out: values.out,
    seed: count('seed', values.seed),
    scanCount: count('scan-count', values['scan-count']),
    rttMs: count('rtt-ms', values['rtt-ms']),
    latency: values.latency as BenchOptions['latency'],
    ferryArgs: values['ferry-args'].split(/\s+/).filter((a) => a.length > 0),
    writeRate: count('write-rate', values['write-rate']),
    followSteps: values['follow-steps'].split(',').map((v) => count('follow-steps', v.trim())),
  };
}
