import type { UnitCounters } from '../core/contracts.js';
import type { MigrationSummary, ReconcileSummary } from '../runner/run-migration.js';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';

/** The final report, printed on stdout whatever happened. */
export function formatSummary(summary: MigrationSummary): string {
  if (summary.reconcile) return formatReconcile(summary, summary.reconcile);
  const t = summary.totals;
  const title = summary.dryRun ? 'Dry run (nothing written)' : 'Migration';
  if (summary.alreadyComplete) {
    return (
      `${title} ${summary.migrationId} was already complete (${formatCount(t.copied)} ` +
      `keys copied); nothing to do. Run with --fresh to copy again.`
    );
  }
  const status = { completed: 'completed', interrupted: 'interrupted', failed: 'FAILED' }[summary.status];
  const recopiedNote = t.recopied > 0 ? `; ${formatCount(t.recopied)} re-copied after resume` : '';
  const resumedNote = t.copied !== summary.thisRun.copied ? ` (${formatCount(summary.thisRun.copied)} in this run)` : '';
  const lines = [
    `${title} ${summary.migrationId}: ${status} in ${formatDuration(summary.durationMs)}`,
    `  ${summary.dryRun ? 'would copy' : 'copied'}   ${formatCount(t.copied)} keys${resumedNote} ` +
      `(${formatBytes(t.bytes)}), ${formatRate(summary.thisRun.copied, summary.copyDurationMs)}${recopiedNote}`,
    `  scanned  ${formatCount(t.scanned)} keys in ${formatCount(t.batches)} batches`,
    `  skipped  ${formatCount(t.skippedExisting)} already on target, ${formatCount(t.skippedGone)} ` +
      `deleted or expired during the copy, ${formatCount(t.filtered)} filtered out`,
    ...(t.bigKeys > 0 ? [`  big keys ${formatCount(t.bigKeys)} copied by type in chunks`] : []),
    ...(t.notCopied > 0 ? [`  NOT COPIED ${formatCount(t.notCopied)} keys of a type struct mode cannot carry (see docs/fidelity.md)`] : []),
    ...tooBigLines(t),
    `  units    ${summary.units.filter((u) => u.checkpoint.status === 'done').length}/${summary.units.length} done`,
  ];
  for (const { unit, checkpoint } of summary.units) {
    if (checkpoint.status === 'failed') lines.push(`  failed   ${unit.label}: ${checkpoint.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}

/** A reconcile pass: what it compared, copied, left alone and deleted. */
function formatReconcile(summary: MigrationSummary, pass: ReconcileSummary): string {
  const t = summary.totals;
  const r = pass.totals;
  const status = { completed: 'completed', interrupted: 'interrupted', failed: 'FAILED' }[summary.status];
  const resumed = r.compared !== pass.thisRun.compared ? ` (${formatCount(pass.thisRun.compared)} in this run)` : '';
  const sourceDone = summary.units.filter((u) => u.checkpoint.status === 'done').length;
  const targetDone = pass.targetUnits.filter((u) => u.checkpoint.status === 'done').length;
  const walked = pass.deletes ? `, ${targetDone}/${pass.targetUnits.length} target units walked` : '';
  const lines = [
    `Reconcile ${summary.migrationId}: ${status} in ${formatDuration(summary.durationMs)}`,
    `  compared ${formatCount(r.compared)} keys${resumed}, ${formatRate(pass.thisRun.compared, summary.copyDurationMs)}: ` +
      `${formatCount(r.unchanged)} unchanged, ${formatCount(r.missing)} missing and ${formatCount(r.different)} different ` +
      `copied (${formatBytes(t.bytes)})`,
    pass.deletes
      ? `  deleted  ${formatCount(r.deleted)} target keys the source lacks (${formatCount(r.targetChecked)} target keys checked)`
      : '  kept     the target keys the source lacks (--no-delete)',
    `  scanned  ${formatCount(t.scanned)} source keys in ${formatCount(t.batches)} batches`,
    `  skipped  ${formatCount(t.skippedGone)} deleted or expired during the pass, ${formatCount(t.filtered)} filtered out`,
    ...(t.bigKeys > 0 ? [`  big keys ${formatCount(t.bigKeys)} copied by type in chunks`] : []),
    ...tooBigLines(t),
    `  units    ${sourceDone}/${summary.units.length} compared${walked}`,
  ];
  for (const { unit, checkpoint } of [...summary.units, ...pass.targetUnits]) {
    if (checkpoint.status === 'failed') lines.push(`  failed   ${unit.label}: ${checkpoint.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}

/** The keys left out because the target cannot hold them (--on-too-big skip), when there are any. */
function tooBigLines(t: UnitCounters): string[] {
  if (t.skippedTooBig === 0) return [];
  return [
    `  TOO BIG  ${formatCount(t.skippedTooBig)} key${t.skippedTooBig === 1 ? '' : 's'} skipped: ` +
      "strings longer than the target's proto-max-bulk-len (named in the notes above)",
  ];
}
