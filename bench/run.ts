/**
 * `npm run bench`: builds the dataset, measures the ceilings (a, b), the MIGRATE baseline (c) and
 * redis-ferry (d, e) in one run, each at least --runs times, and writes bench/RESULTS.md.
 * See bench/README.md for what each row means.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { stopAll } from '../test/helpers/index.js';
import { measureIngest, measureReadIoredis, measureReadRaw, type RestoreFile, writeRestoreFile } from './ceilings.js';
import { type DatasetSpec, type DatasetStats, loadDataset } from './dataset.js';
import { type FerryOptions, measureStartupCost, type StartupCost } from './ferry-child.js';
import { ferryOnce, measureRttMs, NotSupportedError, openLatencyPath, profileOnce } from './ferry-scenarios.js';
import { renderFollowSection, spliceFollowSection, spliceSection } from './follow-report.js';
import { type FollowReport, runFollowBench } from './follow-scenario.js';
import { DEFAULT_LARGE_VALUES, startLargeValuePair } from './large-values.js';
import { measureMigrate } from './migrate-loop.js';
import { type BenchOptions, parseOptions, USAGE } from './options.js';
import { RawConnection } from './raw-connection.js';
import { consoleTable, type ReportContext, renderMarkdown, type ScenarioResult } from './report.js';
import { RESTORE_HEADING, renderRestoreSection } from './restore-report.js';
import { type RestoreBenchReport, type Scenario as RestoreScenario, runRestoreBench } from './restore-scenario.js';
import { type RunSample, type ServerSides, withServerCpu } from './sample.js';
import { readWithRawSocket } from './source-reader.js';
import { type StandalonePair, startClusterPair, startStandalonePair } from './topology.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Runs `once` --runs times. Before each run (untimed) the target side is emptied with FLUSHALL
 * (unless `flush` is false: the verify rows read the copy the row before left);
 * the servers' CPU is read around the run itself. A failure ends the row (recorded; the other
 * rows still run).
 */
async function scenario(
  id: string,
  label: string,
  runs: number,
  once: () => Promise<RunSample>,
  sides: ServerSides,
  notes: string[] = [],
  flush = true,
): Promise<ScenarioResult> {
  const result: ScenarioResult = { id, label, samples: [], notes, load1: loadavg()[0]! };
  log(`${label}`);
  for (let i = 0; i < runs; i++) {
    try {
      if (flush) await Promise.all(sides.target.map((c) => c.flushall()));
      const s = await withServerCpu(sides, once);
      result.samples.push(s);
      log(
        `  run ${i + 1}/${runs}: ${Math.round(s.keys / (s.ms / 1000))} keys/s (${(s.ms / 1000).toFixed(2)} s${s.rssMb ? `, peak RSS ${s.rssMb.toFixed(0)} MB` : ''})`,
      );
    } catch (error) {
      result.samples = [];
      result.skipped =
        error instanceof NotSupportedError ? `not yet supported (${error.message})` : `failed: ${(error as Error).message.split('\n')[0]}`;
      log(`  ${result.skipped}`);
      break;
    }
  }
  return result;
}

function describeDataset(d: DatasetStats, spec: DatasetSpec, restore?: RestoreFile): string[] {
  const kinds = Object.entries(d.byKind)
    .map(([k, n]) => `${k} ${((n / d.keys) * 100).toFixed(1)}%`)
    .join(', ');
  return [
    `Dataset: ${d.keys} keys, seed ${spec.seed}${d.digest ? `, command stream sha256 ${d.digest}…` : ''}; ${kinds}; ${d.bigCollections} large collections; ${((d.withTtl / d.keys) * 100).toFixed(1)}% with a 2-6 h TTL`,
    `Loaded in ${(d.loadMs / 1000).toFixed(1)} s (${(d.respBytes / 1e6).toFixed(0)} MB of RESP through redis-cli --pipe)${restore ? `; DUMP payloads total ${(restore.bytes / 1e6).toFixed(1)} MB` : ''}`,
  ];
}

function engineRevision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    return `commit ${head}${dirty ? ' + uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown revision';
  }
}

/** What the rows of one bench run share, and what they leave for the report. */
interface BenchRun {
  opts: BenchOptions;
  spec: DatasetSpec;
  has: (id: string) => boolean;
  results: ScenarioResult[];
  notes: string[];
  dataDir: string;
  datasetLines: string[];
  startup?: StartupCost;
  restore?: RestoreFile;
  profile?: ReportContext['profile'];
  follow?: FollowReport;
  restoreReport?: RestoreBenchReport;
  /** Load averages before and after the restore rows. */
  restoreLoads?: number[][];
}

/** The bundled CLI's options for one copy from `source` to `target`. */
function ferryOptions(run: BenchRun, source: string, target: string): FerryOptions {
  return { source, target, startupCpuMs: run.startup?.cpuMs, args: run.opts.ferryArgs };
}

async function main(opts: BenchOptions): Promise<number> {
  const loadStart = loadavg();
  const run: BenchRun = {
    opts,
    spec: { keys: opts.keys, seed: opts.seed, ttlShare: 0.2 },
    has: (s: string) => opts.only.has(s as never),
    results: [],
    notes: [],
    dataDir: join(repoRoot, 'bench/.data'),
    datasetLines: [],
  };
  const { has } = run;
  log(
    `redis-ferry bench: ${opts.keys} keys, ${opts.runs} runs, scenarios ${[...opts.only].join(',')}; ${cpus().length} cores, load ${loadStart.map((l) => l.toFixed(2)).join(' ')}`,
  );
  if (loadStart[0]! >= 1) log('warning: the machine is busy (1-min load ≥ 1.0): numbers will be noisy');

  try {
    if (['ds', 'dc', 'e', 'v', 'p', 'f', 'r'].some(has)) {
      // The ferry rows run the bundled CLI, as users do: build it from this checkout first.
      execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
      run.startup = await measureStartupCost();
    }
    if (['a', 'b', 'c', 'ds', 'e', 'p', 'f', 'r'].some(has)) await standaloneRows(run);
    if (has('dc')) await clusterRow(run);
    if (has('v')) await largeValueRow(run);
  } finally {
    if (run.restore) await rm(run.restore.path, { force: true });
    await rmdir(run.dataDir).catch(() => {}); // only if empty: never someone else's files
  }
  return writeReport(run, loadStart);
}

/** The rows on one standalone pair: ceilings (a, b), MIGRATE (c), redis-ferry (d, w, p, e), follow (f). */
async function standaloneRows(run: BenchRun): Promise<void> {
  const { opts, spec, has, results } = run;
  log('Starting a source and a target redis-server, loading the dataset…');
  const pair = await startStandalonePair(spec);
  try {
    await ceilingRows(run, pair);
    const targetUrl = `redis://${pair.target.address}`;
    if (has('ds')) await ferryRows(run, pair, targetUrl);
    if (has('p')) {
      log('(p) one redis-ferry run under node --cpu-prof…');
      try {
        run.profile = {
          keys: opts.keys,
          summary: await profileOnce(ferryOptions(run, `redis://${pair.source.address}`, targetUrl), [pair.targetAdmin], opts.keys),
        };
      } catch (error) {
        run.notes.push(`profile run failed: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    if (has('e')) results.push(...(await latencyRows(run, pair, targetUrl)));
    // Before (f), whose writer changes the source: the RDB is the dataset as loaded.
    if (has('r')) await restoreRows(run, pair);
    if (has('f')) {
      // Last of the standalone rows: its writer changes the source the others read.
      run.follow = await runFollowBench(
        { source: pair.sourceAdmin, target: pair.targetAdmin },
        [`redis://${pair.source.address}`, targetUrl],
        pair.source.port,
        {
          rate: opts.writeRate,
          steps: opts.followSteps,
          keys: opts.keys,
          seed: spec.seed,
          afterCopyS: 10,
          stepS: 15,
        },
      );
    }
  } finally {
    await pair.stop();
  }
}

/** (r) restoring the dataset's own RDB file (BGSAVE of the source), from a file and from a local S3 server. */
async function restoreRows(run: BenchRun, pair: StandalonePair): Promise<void> {
  const { opts, spec } = run;
  await mkdir(run.dataDir, { recursive: true });
  const loads = [loadavg()];
  const scenarioOf: RestoreScenario = (id, label, once, sides) => scenario(id, label, opts.runs, once, sides);
  const ferry = (source: string, target: string) => ferryOptions(run, source, target);
  run.restoreReport = await runRestoreBench({ pair, keys: opts.keys, dataDir: run.dataDir, ferry, scenario: scenarioOf, log });
  loads.push(loadavg());
  run.restoreLoads = loads;
  if (run.datasetLines.length === 0) run.datasetLines = describeDataset(pair.dataset, spec);
}

/** (a) the ingest ceiling, (b) the read ceilings, (c) the MIGRATE loop; also describes the dataset. */
async function ceilingRows(run: BenchRun, pair: StandalonePair): Promise<void> {
  const { opts, spec, has, results } = run;
  const source = { host: pair.source.host, port: pair.source.port };
  const target = { host: pair.target.host, port: pair.target.port };
  const { sourceAdmin, targetAdmin } = pair;
  let datasetBytes = 0;
  if (has('a')) {
    await mkdir(run.dataDir, { recursive: true });
    run.restore = await writeRestoreFile(source, join(run.dataDir, `restore-${opts.keys}-${spec.seed}.resp`), opts.scanCount);
    datasetBytes = run.restore.bytes;
  } else if (has('c')) {
    const conn = await RawConnection.open(source.host, source.port);
    datasetBytes = (await readWithRawSocket(conn, opts.scanCount).finally(() => conn.close())).bytes;
  }
  run.datasetLines = describeDataset(pair.dataset, spec, run.restore);
  log(run.datasetLines.join('\n'));

  const file = run.restore;
  if (file)
    results.push(
      await scenario(
        'a',
        '(a) ingest ceiling: RESTORE file | redis-cli --pipe',
        opts.runs,
        () => measureIngest(file, target, targetAdmin),
        {
          source: [],
          target: [targetAdmin],
        },
      ),
    );
  if (has('b')) {
    const client = pair.source.client();
    const sides = { source: [sourceAdmin], target: [] };
    results.push(
      await scenario(
        'b-ioredis',
        `(b) read ceiling: SCAN+DUMP+PTTL, ioredis`,
        opts.runs,
        () => measureReadIoredis(client, opts.scanCount),
        sides,
      ),
    );
    results.push(
      await scenario(
        'b-raw',
        `(b) read ceiling: SCAN+DUMP+PTTL, raw socket`,
        opts.runs,
        () => measureReadRaw(source, opts.scanCount),
        sides,
      ),
    );
  }
  if (has('c')) {
    const client = pair.source.client();
    results.push(
      await scenario(
        'c',
        `(c) MIGRATE COPY REPLACE KEYS ×${opts.scanCount} from a SCAN loop`,
        opts.runs,
        () => measureMigrate(client, target, targetAdmin, opts.scanCount, datasetBytes),
        { source: [sourceAdmin], target: [targetAdmin] },
      ),
    );
  }
}

/** (d) redis-ferry standalone → standalone, with and without the size probe, then (w) its verify levels. */
async function ferryRows(run: BenchRun, pair: StandalonePair, targetUrl: string): Promise<void> {
  const { opts, results } = run;
  const { targetAdmin } = pair;
  const both: ServerSides = { source: [pair.sourceAdmin], target: [targetAdmin] };
  const options = ferryOptions(run, `redis://${pair.source.address}`, targetUrl);
  results.push(
    await scenario(
      'd-standalone',
      '(d) redis-ferry standalone → standalone',
      opts.runs,
      () => ferryOnce(options, [targetAdmin], opts.keys),
      both,
    ),
  );
  // The default probes each key's size (MEMORY USAGE) so that no huge key is DUMPed whole;
  // without it (a dataset known to hold no huge keys) the source does a third less work.
  const unprobed = { ...options, args: [...(options.args ?? []), '--big-key-threshold', '0'] };
  results.push(
    await scenario(
      'd-standalone-unprobed',
      '(d) redis-ferry standalone → standalone, --big-key-threshold 0 (no size probe)',
      opts.runs,
      () => ferryOnce(unprobed, [targetAdmin], opts.keys),
      both,
    ),
  );
  // The copy's default ends with `--verify quick`; `full` compares values too. Both read the
  // copy the last run left on the target.
  for (const level of ['quick', 'full'] as const) {
    const verify = { ...options, verify: level };
    results.push(
      await scenario(
        `w-${level}`,
        `(w) redis-ferry verify --verify ${level}, standalone`,
        opts.runs,
        () => ferryOnce(verify, [targetAdmin], opts.keys),
        both,
        [],
        false,
      ),
    );
  }
}

/** (e0) and (e): redis-ferry reading the source through a path with added round-trip time. */
async function latencyRows(run: BenchRun, pair: StandalonePair, targetUrl: string): Promise<ScenarioResult[]> {
  const { opts, spec } = run;
  const { sourceAdmin, targetAdmin } = pair;
  const source = { host: pair.source.host, port: pair.source.port };
  const eNotes: string[] = [];
  const path = await openLatencyPath(opts.latency, source, async (ep) => void (await loadDataset(spec, [ep])), eNotes);
  run.notes.push(...eNotes);
  if (!path) {
    return [
      {
        id: 'e',
        label: `(e) redis-ferry, source +${opts.rttMs} ms RTT`,
        samples: [],
        notes: [],
        skipped: eNotes.join('; '),
        load1: loadavg()[0]!,
      },
    ];
  }
  const rows: ScenarioResult[] = [];
  const pathAdmin = path.kind === 'netns' ? new Redis({ host: path.endpoint.host, port: path.endpoint.port }) : undefined;
  const sides: ServerSides = { source: [pathAdmin ?? sourceAdmin], target: [targetAdmin] };
  try {
    const options = ferryOptions(run, `redis://${path.endpoint.host}:${path.endpoint.port}`, targetUrl);
    const once = () => ferryOnce(options, [targetAdmin], opts.keys);
    for (const rtt of [0, opts.rttMs]) {
      path.setRtt(rtt);
      const measured = await measureRttMs(path.endpoint);
      const id = rtt === 0 ? 'e-0' : 'e';
      const label =
        rtt === 0 ? `(e0) redis-ferry, source via ${path.describe}, +0 ms` : `(e) redis-ferry, source +${rtt} ms RTT (${path.describe})`;
      rows.push(await scenario(id, label, opts.runs, once, sides, [`measured PING round trip ${measured.toFixed(2)} ms`]));
    }
  } finally {
    pathAdmin?.disconnect();
    await path.stop();
  }
  return rows;
}

/** (d) redis-ferry between two 3-master clusters. */
async function clusterRow(run: BenchRun): Promise<void> {
  const { opts, spec } = run;
  log('Starting two 3-master clusters, loading the source cluster…');
  const clusters = await startClusterPair(spec, 3);
  try {
    const addresses = (c: typeof clusters.source) => c.masters.map((m) => m.address).join(',');
    const options = ferryOptions(
      run,
      `redis://${addresses(clusters.source)}?cluster=true`,
      `redis://${addresses(clusters.target)}?cluster=true`,
    );
    run.results.push(
      await scenario(
        'd-cluster',
        '(d) redis-ferry cluster (3 masters) → cluster (3 masters)',
        opts.runs,
        () => ferryOnce(options, clusters.targetAdmins, opts.keys),
        { source: clusters.sourceAdmins, target: clusters.targetAdmins },
      ),
    );
    if (run.datasetLines.length === 0) run.datasetLines = describeDataset(clusters.dataset, spec);
  } finally {
    await clusters.stop();
  }
}

/** (v) redis-ferry on a few large incompressible strings. */
async function largeValueRow(run: BenchRun): Promise<void> {
  const spec = { ...DEFAULT_LARGE_VALUES, seed: run.opts.seed };
  log(`Starting a source and a target redis-server, loading ${spec.keys} values of ${spec.valueBytes / 1024 / 1024} MB…`);
  const large = await startLargeValuePair(spec);
  try {
    const targetAdmin = large.target.client();
    const options = ferryOptions(run, `redis://${large.source.address}`, `redis://${large.target.address}`);
    const label = `(v) redis-ferry, ${spec.keys} incompressible strings of ${spec.valueBytes / 1024 / 1024} MB (${(large.bytes / 1e9).toFixed(1)} GB)`;
    run.results.push(
      await scenario('v', label, run.opts.runs, () => ferryOnce(options, [targetAdmin], spec.keys), {
        source: [large.source.client()],
        target: [targetAdmin],
      }),
    );
  } finally {
    await large.stop();
  }
}

/** Prints the table and writes --out (RESULTS.md); the exit code says whether a row failed. */
async function writeReport(run: BenchRun, loadStart: number[]): Promise<number> {
  const { opts, results, notes, follow, restoreReport } = run;
  const table = consoleTable(results);
  if (results.length > 0) process.stdout.write(`\n${table}\n\n`);
  if (restoreReport) process.stdout.write(`${consoleTable(restoreReport.results)}\n\n`);
  if (opts.runs < 3) notes.push(`only ${opts.runs} run(s) per scenario: fewer than the 3 the issue asks for`);
  if (opts.keys < 1_000_000)
    notes.push(`${opts.keys} keys: a smaller dataset than the 1M default, so fixed costs (connections, planning) weigh more`);
  if (loadStart[0]! >= 1)
    notes.push(
      `the machine was busy when the run started (1-min load ${loadStart[0]!.toFixed(2)} on ${cpus().length} cores): expect noise`,
    );
  const ctx: ReportContext = {
    commandLine: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    loadStart,
    loadEnd: loadavg(),
    redisVersion: /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown',
    nodeVersion: process.version,
    ioredisVersion: (JSON.parse(await readFile(join(repoRoot, 'node_modules/ioredis/package.json'), 'utf8')) as { version: string })
      .version,
    engineRevision: engineRevision(),
    dataset: run.datasetLines,
    notes,
    startup: run.startup,
    profile: run.profile,
  };
  const out = resolve(opts.out);
  await mkdir(dirname(out), { recursive: true });
  const followSection = follow ? renderFollowSection(follow, ctx.commandLine, ctx.date) : undefined;
  const restoreSection = restoreReport ? renderRestoreSection(restoreReport, ctx.commandLine, ctx.date, run.restoreLoads ?? []) : undefined;
  // (f) or (r) alone keeps the other rows of the file and replaces its own section.
  const sectionOnly = opts.only.size === 1 && (followSection ?? restoreSection) !== undefined;
  let text = sectionOnly ? await readFile(out, 'utf8').catch(() => '') : renderMarkdown(ctx, results);
  if (followSection) text = spliceFollowSection(text, followSection);
  if (restoreSection) text = spliceSection(text, RESTORE_HEADING, restoreSection);
  await writeFile(out, text);
  log(`Results written to ${out}`);
  const restoreFailed = restoreReport?.results.some((r) => r.skipped?.startsWith('failed')) ?? false;
  return results.some((r) => r.skipped?.startsWith('failed')) || follow?.failure || restoreFailed ? 1 : 0;
}

// Ctrl-C / kill: exit through process.exit so every exit hook runs (servers, namespace).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

let options: BenchOptions | 'help';
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  log(`bench: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options === 'help') {
  log(USAGE);
} else {
  try {
    process.exitCode = await main(options);
  } finally {
    await stopAll();
  }
}
