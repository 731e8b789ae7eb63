import type { ProfileSummary } from './profile.js';
import type { RunSample } from './sample.js';

/** Medians, ratios, the console table and bench/RESULTS.md. */

export interface ScenarioResult {
  id: string;
  label: string;
  samples: RunSample[];
  /** Why the row has no numbers (not permitted here, not supported yet, failed). */
  skipped?: string;
  notes: string[];
  /** 1-minute load average when the scenario started. */
  load1: number;
}

export interface RowSummary {
  keysPerSec: number;
  mbPerSec: number;
  runs: number;
  /** (max − min) / median of keys/s over the runs. */
  spread: number;
  cpuSecPerMKeys?: number;
  /** Source and target redis-server CPU per 1M keys. */
  serverCpuSecPerMKeys?: { source: number; target: number };
  peakRssMb?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarizeRow(r: ScenarioResult): RowSummary | undefined {
  if (r.samples.length === 0) return undefined;
  const rates = r.samples.map((s) => s.keys / (s.ms / 1000));
  const cpu = r.samples.filter((s) => s.cpuMs !== undefined);
  const rss = r.samples.filter((s) => s.rssMb !== undefined);
  const srv = r.samples.filter((s) => s.serverCpuMs !== undefined);
  const perM = (ms: number, keys: number) => (ms / 1000) * (1e6 / keys);
  const keysPerSec = median(rates);
  return {
    keysPerSec,
    mbPerSec: median(r.samples.map((s) => s.bytes / 1e6 / (s.ms / 1000))),
    runs: r.samples.length,
    spread: (Math.max(...rates) - Math.min(...rates)) / keysPerSec,
    ...(cpu.length ? { cpuSecPerMKeys: median(cpu.map((s) => perM(s.cpuMs!, s.keys))) } : {}),
    ...(srv.length
      ? {
          serverCpuSecPerMKeys: {
            source: median(srv.map((s) => perM(s.serverCpuMs!.source, s.keys))),
            target: median(srv.map((s) => perM(s.serverCpuMs!.target, s.keys))),
          },
        }
      : {}),
    ...(rss.length ? { peakRssMb: Math.max(...rss.map((s) => s.rssMb!)) } : {}),
  };
}

const rate = (n: number) => (n >= 1e5 ? `${(n / 1e3).toFixed(0)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

interface Cells {
  scenario: string;
  keys: string;
  mb: string;
  ratio: string;
  runs: string;
  cpu: string;
  server: string;
  rss: string;
}

function cells(results: ScenarioResult[]): Cells[] {
  const ceiling = summarizeRow(results.find((r) => r.id === 'a') ?? ({ samples: [] } as unknown as ScenarioResult));
  return results.map((r) => {
    const s = summarizeRow(r);
    if (!s)
      return {
        scenario: r.label,
        keys: '—',
        mb: '—',
        ratio: '—',
        runs: r.skipped ? `skipped: ${r.skipped}` : '0',
        cpu: '—',
        server: '—',
        rss: '—',
      };
    const srv = s.serverCpuSecPerMKeys;
    const side = (n: number) => (n >= 0.05 ? n.toFixed(1) : '0');
    return {
      scenario: r.label,
      keys: rate(s.keysPerSec),
      mb: s.mbPerSec.toFixed(1),
      ratio: ceiling ? `${(s.keysPerSec / ceiling.keysPerSec).toFixed(2)}×` : 'n/a',
      runs: `${s.runs} (±${((s.spread / 2) * 100).toFixed(0)}%)`,
      cpu: s.cpuSecPerMKeys !== undefined ? s.cpuSecPerMKeys.toFixed(1) : '—',
      server: srv ? `${side(srv.source)} + ${side(srv.target)}` : '—',
      rss: s.peakRssMb !== undefined ? `${s.peakRssMb.toFixed(0)} MB` : '',
    };
  });
}

const HEAD: Cells = {
  scenario: 'scenario',
  keys: 'keys/s',
  mb: 'MB/s',
  ratio: '× (a)',
  runs: 'runs',
  cpu: 'client CPU s/1M keys',
  server: 'source + target redis CPU s/1M keys',
  rss: 'peak RSS',
};
const COLS = Object.keys(HEAD) as (keyof Cells)[];

export function consoleTable(results: ScenarioResult[]): string {
  const rows = [HEAD, ...cells(results)];
  const width = COLS.map((c) => Math.max(...rows.map((r) => (c === 'runs' && r.runs.startsWith('skipped') ? 0 : r[c].length))));
  return rows
    .map((r) =>
      COLS.map((c, i) => (c === 'scenario' ? r[c].padEnd(width[i]!) : r[c].padStart(width[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function markdownTable(results: ScenarioResult[]): string {
  const line = (r: Cells) => `| ${COLS.map((c) => r[c].replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEAD), `|${COLS.map((c) => (c === 'scenario' ? ' --- ' : ' ---: ')).join('|')}|`, ...cells(results).map(line)].join('\n');
}

export interface TargetCheck {
  goal: string;
  measured: string;
  verdict: 'met' | 'missed' | 'not measured';
}

/** The issue's goals, judged from the medians (never from a single best run). */
export function checkTargets(results: ScenarioResult[]): TargetCheck[] {
  const get = (id: string) => {
    const r = results.find((x) => x.id === id);
    return r ? summarizeRow(r) : undefined;
  };
  const [a, c, ds, du, dc, e0, e] = ['a', 'c', 'd-standalone', 'd-standalone-unprobed', 'd-cluster', 'e-0', 'e'].map(get);
  const ratio = (goal: string, num: RowSummary | undefined, den: RowSummary | undefined, min: number, what: string): TargetCheck =>
    num && den
      ? {
          goal,
          measured: `${(num.keysPerSec / den.keysPerSec).toFixed(2)}× ${what}`,
          verdict: num.keysPerSec / den.keysPerSec >= min ? 'met' : 'missed',
        }
      : { goal, measured: '—', verdict: 'not measured' };
  const rss = results.flatMap((r) => r.samples.map((s) => s.rssMb ?? 0));
  const peak = rss.length ? Math.max(...rss) : 0;
  return [
    ratio('redis-ferry standalone ≥ 0.5× (a)', ds, a, 0.5, '(a)'),
    ratio('redis-ferry standalone ≥ 1.5× (c)', ds, c, 1.5, '(c)'),
    ratio('the same without the size probe ≥ 0.5× (a)', du, a, 0.5, '(a)'),
    ratio('the same without the size probe ≥ 1.5× (c)', du, c, 1.5, '(c)'),
    ratio('cluster→cluster ≥ 0.8× standalone→standalone', dc, ds, 0.8, 'standalone'),
    ratio('+20 ms RTT ≥ 0.5× the same path at 0 ms', e, e0, 0.5, '0 ms'),
    peak > 0
      ? { goal: 'peak RSS < 300 MB', measured: `${peak.toFixed(0)} MB`, verdict: peak < 300 ? 'met' : 'missed' }
      : { goal: 'peak RSS < 300 MB', measured: '—', verdict: 'not measured' },
  ];
}

export interface ReportContext {
  commandLine: string;
  date: string;
  cores: number;
  cpuModel: string;
  loadStart: number[];
  loadEnd: number[];
  redisVersion: string;
  nodeVersion: string;
  ioredisVersion: string;
  engineRevision: string;
  dataset: string[];
  notes: string[];
  /** The CLI's start-up alone (`migrate --help`). */
  startup?: { rssMb: number; cpuMs: number };
  profile?: { keys: number; summary: ProfileSummary };
}

export function renderMarkdown(ctx: ReportContext, results: ScenarioResult[]): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const out = [
    '# redis-ferry throughput benchmark: results',
    '',
    `Generated by \`${ctx.commandLine}\` on ${ctx.date}.`,
    '',
    `- Machine: ${ctx.cores} cores (${ctx.cpuModel}); load average (1/5/15 min) ${load(ctx.loadStart)} at start, ${load(ctx.loadEnd)} at end`,
    `- Redis ${ctx.redisVersion}, Node ${ctx.nodeVersion}, ioredis ${ctx.ioredisVersion}`,
    `- redis-ferry: ${ctx.engineRevision}`,
    ...ctx.dataset.map((d) => `- ${d}`),
    '',
    'Medians over the runs; "±" is half the spread between the slowest and the fastest run. MB = 10^6 bytes of DUMP payload',
    '(the same unit in every row). Client CPU is user + system time of the process doing the copying',
    '(the bench itself for (b)/(c), the redis-ferry child minus its start-up for (d)/(e)); (a) has no client logic to measure.',
    "Redis CPU is the servers' own used_cpu_user + used_cpu_sys (INFO cpu) during the run, per side (summed over cluster masters).",
    "redis-ferry's keys/s use its own clock (summary.durationMs: discovery, planning, copy), not the child's start-up.",
    '',
    markdownTable(results),
    '',
    '## Targets',
    '',
    '| goal | measured | verdict |',
    '| --- | --- | --- |',
    ...checkTargets(results).map((t) => `| ${t.goal} | ${t.measured} | ${t.verdict} |`),
    '',
  ];
  if (ctx.notes.length) out.push('## Notes', '', ...ctx.notes.map((n) => `- ${n}`), '');
  out.push('## Runs', '');
  for (const r of results) {
    const extra = [...r.notes, `load ${r.load1.toFixed(2)} at start`];
    out.push(`- **${r.label}**${r.skipped ? `: skipped: ${r.skipped}` : ''} (${extra.join('; ')})`);
    for (const s of r.samples) {
      const parts = [`${s.keys} keys in ${(s.ms / 1000).toFixed(2)} s`];
      if (s.wallMs !== undefined) parts.push(`${(s.wallMs / 1000).toFixed(2)} s wall with start-up`);
      if (s.cpuMs !== undefined)
        parts.push(`client CPU ${(s.cpuMs / 1000).toFixed(2)} s (busy ${((s.cpuMs / s.ms) * 100).toFixed(0)}% of the run)`);
      if (s.serverCpuMs)
        parts.push(`redis CPU source ${(s.serverCpuMs.source / 1000).toFixed(2)} s, target ${(s.serverCpuMs.target / 1000).toFixed(2)} s`);
      if (s.rssMb !== undefined) parts.push(`peak RSS ${s.rssMb.toFixed(0)} MB`);
      out.push(`  - ${parts.join(', ')}`);
    }
    const inside = commandsPerKey(r);
    if (inside) out.push(`  - time inside commands, µs per key over all runs: ${inside}`);
  }
  out.push('');
  if (ctx.startup) {
    out.push(
      `\`redis-ferry migrate --help\` (Node and the bundle's modules loaded, no data) peaks at ${ctx.startup.rssMb.toFixed(0)} MB RSS and uses ${(ctx.startup.cpuMs / 1000).toFixed(2)} s CPU;`,
      'that CPU is subtracted from the redis-ferry rows, the RSS is not.',
      '',
    );
  }
  if (ctx.profile) {
    const p = ctx.profile.summary;
    out.push(
      '## Where redis-ferry spends its CPU',
      '',
      `One standalone → standalone run of ${ctx.profile.keys} keys under \`node --cpu-prof\`: ${(p.totalMs / 1000).toFixed(1)} s of non-idle samples on the main thread.`,
      '',
      '| self time | share | origin |',
      '| ---: | ---: | --- |',
      ...p.origins.map((o) => `| ${(o.ms / 1000).toFixed(2)} s | ${(o.share * 100).toFixed(1)}% | ${o.origin} |`),
      '',
      '| self time | share | function | location |',
      '| ---: | ---: | --- | --- |',
      ...p.functions.map((f) => `| ${(f.ms / 1000).toFixed(2)} s | ${(f.share * 100).toFixed(1)}% | \`${f.name}\` | ${f.where} |`),
      '',
    );
  }
  return out.join('\n');
}

/**
 * The servers' time inside each command per key, summed over a row's runs: "source dump 6.3,
 * memory|usage 1.7 …; target restore 5.2". Commands under 0.05 µs per key (INFO, PING) are left out.
 */
function commandsPerKey(r: ScenarioResult): string | undefined {
  const keys = r.samples.reduce((n, s) => n + s.keys, 0);
  if (keys === 0 || !r.samples.some((s) => s.commandUsec)) return undefined;
  const sides = (['source', 'target'] as const).map((side) => {
    const total: Record<string, number> = {};
    for (const s of r.samples)
      for (const [name, { usec }] of Object.entries(s.commandUsec?.[side] ?? {})) total[name] = (total[name] ?? 0) + usec;
    const listed = Object.entries(total)
      .map(([name, usec]) => [name, usec / keys] as const)
      .filter(([, perKey]) => perKey >= 0.05)
      .sort((a, b) => b[1] - a[1]);
    return listed.length ? `${side} ${listed.map(([name, perKey]) => `${name} ${perKey.toFixed(2)}`).join(', ')}` : undefined;
  });
  const text = sides.filter((x) => x !== undefined).join('; ');
  return text || undefined;
}
