import type { MigrationSummary } from '../runner/run-migration.js';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';

/** The final report, printed on stdout whatever happened. */
export function formatSummary(summary: MigrationSummary): string {
  const t = summary.totals;
  const title = summary.dryRun ? 'Dry run (nothing written)' : 'Migration';
  if (summary.alreadyComplete) {
    return `${title} ${summary.migrationId} was already complete (${formatCount(t.copied)} keys copied); nothing to do. Run with --fresh to copy again.`;
  }
  const status = { completed: 'completed', interrupted: 'interrupted', failed: 'FAILED' }[summary.status];
  const resumedNote = t.copied !== summary.thisRun.copied ? ` (${formatCount(summary.thisRun.copied)} in this run)` : '';
  const lines = [
    `${title} ${summary.migrationId}: ${status} in ${formatDuration(summary.durationMs)}`,
    `  ${summary.dryRun ? 'would copy' : 'copied'}   ${formatCount(t.copied)} keys${resumedNote} (${formatBytes(t.bytes)}), ${formatRate(summary.thisRun.copied, summary.copyDurationMs)}${t.recopied > 0 ? `; ${formatCount(t.recopied)} re-copied after resume` : ''}`,
    `  scanned  ${formatCount(t.scanned)} keys in ${formatCount(t.batches)} batches`,
    `  skipped  ${formatCount(t.skippedExisting)} already on target, ${formatCount(t.skippedGone)} deleted or expired during the copy, ${formatCount(t.filtered)} filtered out`,
    ...(t.bigKeys > 0 ? [`  big keys ${formatCount(t.bigKeys)} copied by type in chunks`] : []),
    ...(t.notCopied > 0 ? [`  NOT COPIED ${formatCount(t.notCopied)} keys of a type struct mode cannot carry (see docs/fidelity.md)`] : []),
    ...(t.skippedTooBig > 0
      ? [
          `  TOO BIG  ${formatCount(t.skippedTooBig)} key${t.skippedTooBig === 1 ? '' : 's'} skipped: strings longer than the target's proto-max-bulk-len (named in the notes above)`,
        ]
      : []),
    `  units    ${summary.units.filter((u) => u.checkpoint.status === 'done').length}/${summary.units.length} done`,
  ];
  for (const { unit, checkpoint } of summary.units) {
    if (checkpoint.status === 'failed') lines.push(`  failed   ${unit.label}: ${checkpoint.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}
