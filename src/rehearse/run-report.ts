import type { VerifySummary } from '../cloud/verify-outcome.js';
import type { UnitCounters } from '../core/contracts.js';
import { HISTORY_LIMIT } from './history-size.js';
import type { RehearsalRun } from './rehearsal.js';

/** MigrationDone's output (the Report task's summary), as far as the report reads it. */
interface RunSummary {
  migrationId: string;
  dryRun: boolean;
  units: number;
  totals: UnitCounters;
  verify?: VerifySummary;
}

const count = new Intl.NumberFormat('en-US');
const fmt = (n: number) => count.format(n);
const row = (name: string, text: string) => `  ${name.padEnd(11)}${text}`;

/** What the deployed workflow would do with this input, from a finished local run: the final report. */
export function rehearsalReport(run: RehearsalRun): string[] {
  const { final, trace, chain } = run;
  const phases = phaseRuns(trace.executions.map((e) => e.phase ?? 'plan failed'));
  const lines = [`Rehearsal: ${final.status}. The deployed workflow would run ${chain.length} execution(s) (rounds): ${phases}`];
  const largest = Math.max(0, ...trace.executions.map((e) => e.events));
  const largestChild = Math.max(0, ...trace.executions.flatMap((e) => e.children.map((c) => c.events)));
  const children = largestChild > 0 ? `, each child execution ≤ ${fmt(largestChild)}` : '';
  lines.push(row('history', `each execution ≤ ${fmt(largest)} events${children} (limit ${fmt(HISTORY_LIMIT)} each)`));
  const invocations = [...trace.invocations].map(([state, n]) => `${state} ${n}`).join(', ');
  lines.push(row('Lambda', `${invocations || 'no'} invocation(s); ${fmt(trace.transitions)} state transitions`));
  if (final.status === 'SUCCEEDED') lines.push(...outcomeLines(final.output as RunSummary));
  else lines.push(row('failed', `${final.error?.name}: ${final.error?.cause}`));
  return lines;
}

function outcomeLines(summary: RunSummary): string[] {
  const t = summary.totals;
  const verb = summary.dryRun ? 'read (dry run: nothing written)' : 'copied';
  const lines = [
    row(summary.dryRun ? 'read' : 'copied', `${fmt(summary.dryRun ? t.scanned : t.copied)} keys ${verb}, ${fmt(t.batches)} batches`),
  ];
  const v = summary.verify;
  if (!v) lines.push(row('verify', summary.dryRun ? 'none (a dry run has no verify phase)' : 'none (verify = "none")'));
  else {
    const differ = v.mismatches === 0 ? 'none differ' : `${fmt(v.mismatches)} differ (${fmt(v.maxMismatches)} allowed)`;
    const extra = v.targetChecked !== undefined ? ` (and ${fmt(v.targetChecked)} target keys looked up on the source)` : '';
    lines.push(row('verify', `${v.level}: ${fmt(v.checked)} keys checked${extra}, ${differ}: ${v.passed ? 'passed' : 'FAILED'}`));
  }
  return lines;
}

/** ['copy', 'copy', 'verify'] → 'copy ×2, then verify ×1'. */
function phaseRuns(phases: string[]): string {
  const runs: { phase: string; n: number }[] = [];
  for (const phase of phases) {
    const last = runs[runs.length - 1];
    if (last?.phase === phase) last.n++;
    else runs.push({ phase, n: 1 });
  }
  return runs.map((r) => `${r.phase} ×${r.n}`).join(', then ');
}
