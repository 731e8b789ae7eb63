import { KEY_DIFFERENCES, type KeyDifference, type MigrationVerifyResult, totalDifferences } from '../core/verify-report.js';
import { formatCount, formatDuration } from './format.js';

const LABELS: Record<KeyDifference, string> = {
  missing: 'missing',
  type: 'other type',
  ttl: 'TTL differs',
  value: 'value differs',
  extra: 'extra',
};

/** A verification's result as `verify` and `migrate` print it: the verdict, the differences by kind, each unit. */
export function formatVerifyResult(result: MigrationVerifyResult): string {
  const t = result.totals;
  const verdict = result.passed
    ? result.mismatches === 0
      ? 'all identical'
      : `passed (${formatCount(result.mismatches)} ≤ ${formatCount(result.maxMismatches)} allowed)`
    : `FAILED: ${formatCount(result.mismatches)} mismatch(es), ${formatCount(result.maxMismatches)} allowed`;
  const lines = [
    `Verify (${result.level}) ${result.migrationId}: ${formatCount(t.checked)} keys ` +
      `checked in ${formatDuration(result.durationMs)}: ${verdict}`,
  ];
  if (t.targetChecked !== undefined)
    lines.push(`  and ${formatCount(t.targetChecked)} target keys looked up on the source (extra: on the target only)`);
  for (const kind of KEY_DIFFERENCES) {
    if (!t.differences[kind]) continue;
    lines.push(`  ${LABELS[kind].padEnd(13)} ${formatCount(t.differences[kind]).padStart(8)}  e.g. ${t.examples[kind].join(', ')}`);
  }
  if (t.skipped > 0) lines.push(`  skipped ${formatCount(t.skipped)} key(s) deleted or expiring on the source while checked`);
  if (result.units.length > 1) {
    for (const u of result.units) {
      // A target unit (the extra-key check) looks target keys up; its label names its db.
      const { targetChecked } = u.report;
      const what =
        targetChecked === undefined
          ? ` → db${u.targetDb}: ${formatCount(u.report.checked)} checked`
          : `: ${formatCount(targetChecked)} target keys checked`;
      lines.push(`  unit ${u.label}${what}, ${formatCount(totalDifferences(u.report))} mismatch(es)`);
    }
  }
  return lines.join('\n');
}
