import type { FollowRecord } from '../checkpoint/dynamo-follow.js';
import { formatCount } from './format.js';

/**
 * The follow phase's lines of `redis-ferry status`, one per followed unit (shard × db): who holds it,
 * its lag and pending keys as the holder last stored them, gaps opened and healed, the hand-overs,
 * and "safe to switch" once the cutover found it caught up. Nothing when the migration is not followed.
 */
export function followStatusLines(records: FollowRecord[], unitIds: string[], now: number, cutoverRequestedAt?: string): string[] {
  if (records.length === 0) return [];
  const order = new Map(unitIds.map((id, i) => [id, i]));
  const sorted = [...records].sort((a, b) => (order.get(a.unitId) ?? 1e9) - (order.get(b.unitId) ?? 1e9));
  const lines = ['', `  following${cutoverRequestedAt ? ` (cutover requested ${cutoverRequestedAt})` : ''}`];
  const header = ['unit', 'state', 'lag', 'pending', 'events', 'applied', 'gaps healed', 'hand-overs', ''];
  const rows = sorted.map((r) => [
    r.unitId,
    followState(r, now),
    r.finished ? '' : `${(r.lagMs / 1000).toFixed(1)} s`,
    r.finished ? '' : formatCount(r.pending),
    formatCount(r.events),
    formatCount(r.applied + r.deleted),
    `${r.gapsHealed}/${r.gaps}`,
    formatCount(r.handovers),
    r.caughtUpAt ? `caught up as of ${r.caughtUpAt}: safe to switch` : r.gap ? `gap open: ${r.gap}` : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    lines.push(
      `  ${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}`,
    );
  for (const r of sorted) if (r.error) lines.push(`  failed ${r.unitId} (following): ${r.errorType ? `${r.errorType}: ` : ''}${r.error}`);
  if (sorted.every((r) => r.caughtUpAt)) lines.push('  every unit caught up: safe to switch (the run now verifies both directions)');
  return lines;
}

function followState(r: FollowRecord, now: number): string {
  if (r.finished) return 'caught up';
  if (r.error) return 'failed';
  if (r.holder && (r.leaseUntil ?? 0) >= now) return `held (lane ${r.holderLane})`;
  return r.holder ? 'lease lapsed' : 'handing over';
}
