import type { UnitDescriptor } from '../core/contracts.js';
import type { FollowStats } from '../runner/follow/unit-follower.js';

/** One line per followed unit: events, pending keys, lag, gaps. */
export function formatFollowStats(stats: { unit: UnitDescriptor; stats: FollowStats }[], rates: Map<string, number> = new Map()): string[] {
  return stats.map(({ unit, stats: s }) => {
    const rate = rates.get(unit.id);
    const state = s.reconciling ? 'reconciling' : s.gap ? `gap: ${s.gap}` : 'following';
    return (
      `  unit ${unit.id}: ${state}; ${s.events} events${rate === undefined ? '' : ` (${Math.round(rate)}/s)`}, ${s.applied} ` +
      `copied, ${s.deleted} deleted, ` +
      `${s.pending} pending, lag ${(s.lagMs / 1000).toFixed(1)} s, gaps healed ${s.gapsHealed}/${s.gaps}`
    );
  });
}
