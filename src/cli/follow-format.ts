import type { UnitDescriptor } from '../core/contracts.js';
import type { CutoverVerdict } from '../runner/follow/follow-phase.js';
import type { FollowStats, RescanStats } from '../runner/follow/follower.js';
import { formatCount } from './format.js';

/** One line per followed unit: events, pending keys, lag, gaps (or, in rescan mode, its passes). */
export function formatFollowStats(stats: { unit: UnitDescriptor; stats: FollowStats }[], rates: Map<string, number> = new Map()): string[] {
  return stats.map(({ unit, stats: s }) => `  unit ${unit.id}: ${followText(s, rates.get(unit.id))}`);
}

/** A unit's follow state in one line (`rate`: events per second lately, when known). */
export function followText(s: FollowStats, rate?: number): string {
  if (s.rescan) return formatRescan(s.rescan, s.lagMs);
  const state = s.reconciling ? 'reconciling' : s.gap ? `gap: ${s.gap}` : 'following';
  return (
    `${state}; ${s.events} events${rate === undefined ? '' : ` (${Math.round(rate)}/s)`}, ${s.applied} copied, ${s.deleted} deleted, ` +
    `${s.pending} pending, lag ${(s.lagMs / 1000).toFixed(1)} s, gaps healed ${s.gapsHealed}/${s.gaps}`
  );
}

/** A unit's follow state as a live row on a terminal: short enough for 100 columns. */
export function followRow(s: FollowStats, rate?: number): string {
  const lag = `lag ${(s.lagMs / 1000).toFixed(1)} s`;
  if (s.rescan) {
    const r = s.rescan;
    const pass = r.running ? `pass ${r.running.pass}${r.running.final ? ' (final)' : ''}` : 'waiting';
    const last = r.last ? `last pass: ${formatCount(r.last.changed)} differences` : 'no pass done';
    const clean = r.lastCleanAt ? `last clean ${r.lastCleanAt.slice(11, 19)}` : 'no clean pass';
    return `rescan ${pass} | ${r.passes} done | ${last} | ${lag} | ${clean}`;
  }
  const state = s.reconciling ? 'reconciling' : s.gap ? 'gap open' : 'following';
  return (
    `${state} | ${rate === undefined ? '-' : formatCount(rate)} events/s | ${formatCount(s.pending)} pending | ${lag} | ` +
    `gaps healed ${s.gapsHealed}/${s.gaps} | ${formatCount(s.events)} events`
  );
}

/** `rescan pass 4 running; 3 passes done, last: 1,204 compared, 12 changed (0.4 s); lag 1.6 s; last clean pass 18:42:07`. */
export function formatRescan(r: RescanStats, lagMs: number): string {
  const running = r.running ? `pass ${r.running.pass}${r.running.final ? ' (final)' : ''} running` : 'waiting';
  const last = r.last
    ? `last: ${formatCount(r.last.compared)} compared, ${formatCount(r.last.changed)} changed (${(r.last.durationMs / 1000).toFixed(1)} s)`
    : 'no pass done yet';
  const clean = r.lastCleanAt ? `last clean pass ${r.lastCleanAt.slice(11, 19)}` : 'no clean pass yet';
  return `rescan ${running}; ${r.passes} passes done, ${last}; lag ${(lagMs / 1000).toFixed(1)} s; ${clean}`;
}

/** The verdict line, saying what it rests on: a quiet period of events, or clean passes started after the request. */
export function formatVerdict(verdict: CutoverVerdict): string {
  const basis =
    verdict.mode === 'rescan' ? ' (every unit finished a full pass, started after the cutover request, that found no difference)' : '';
  return `caught up as of ${verdict.caughtUpAt.toISOString()}: safe to switch${basis}`;
}
