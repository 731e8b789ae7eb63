import type { MigrationSummary } from '../runner/run-migration.js';
import { formatBytes, formatCount, formatDuration, formatRate } from './format.js';

/**
 * A restore's final report, printed on stdout whatever happened. Keys whose expiry in the file had
 * passed (and the few that ran out on the way to the target) are the unit counters' skippedGone.
 */
export function formatRestoreSummary(summary: MigrationSummary): string {
  const t = summary.totals;
  const title = summary.dryRun ? 'Restore dry run (nothing written)' : 'Restore';
  if (summary.alreadyComplete) {
    return (
      `${title} ${summary.migrationId} was already complete (${formatCount(t.copied)} keys restored); ` +
      'nothing to do. Run with --fresh to restore again.'
    );
  }
  const status = { completed: 'completed', interrupted: 'interrupted', failed: 'FAILED' }[summary.status];
  const recopied = t.recopied > 0 ? `; ${formatCount(t.recopied)} rewritten after resume` : '';
  const thisRun = t.copied !== summary.thisRun.copied ? ` (${formatCount(summary.thisRun.copied)} in this run)` : '';
  const lines = [
    `${title} ${summary.migrationId}: ${status} in ${formatDuration(summary.durationMs)}`,
    `  ${summary.dryRun ? 'would restore' : 'restored'} ${formatCount(t.copied)} keys${thisRun} (${formatBytes(t.bytes)}), ` +
      `${formatRate(summary.thisRun.copied, summary.copyDurationMs)}${recopied}`,
    `  read     ${formatCount(t.scanned)} keys of the file in ${formatCount(t.batches)} batches`,
    `  skipped  ${formatCount(t.skippedGone)} expired (in the file, or on the way), ${formatCount(t.skippedExisting)} already on target, ` +
      `${formatCount(t.filtered)} filtered out`,
    ...(t.bigKeys > 0 ? [`  big keys ${formatCount(t.bigKeys)} decoded and written by type in chunks`] : []),
    ...(t.notCopied > 0
      ? [`  NOT RESTORED ${formatCount(t.notCopied)} keys of a type that cannot be written by type (module values)`]
      : []),
    ...(t.skippedTooBig > 0
      ? [`  TOO BIG  ${formatCount(t.skippedTooBig)} strings longer than the target's proto-max-bulk-len skipped`]
      : []),
    `  units    ${summary.units.filter((u) => u.checkpoint.status === 'done').length}/${summary.units.length} ranges done`,
  ];
  for (const { unit, checkpoint } of summary.units) {
    if (checkpoint.status === 'failed') lines.push(`  failed   ${unit.label}: ${checkpoint.error ?? 'unknown error'}`);
  }
  return lines.join('\n');
}
