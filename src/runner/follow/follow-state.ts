import type { FollowStats } from './follower.js';

/**
 * What a follow run keeps across a kill: when it was last known alive and following, and each
 * unit's last event and open gap. A run started again reads it to say, and reconcile, exactly the
 * time nobody followed: "down from <savedAt> to <now>".
 */
export interface FollowState {
  /** The last time the run saved this (about every second while it follows). */
  savedAt: string;
  units: Record<string, { lastEventAt?: string; gap?: string; gaps: number; gapsHealed: number; events: number }>;
}

export interface FollowStateStore {
  load(): Promise<FollowState | undefined>;
  save(state: FollowState): Promise<void>;
}

/** The state to save now, from every unit's stats. */
export function followStateOf(units: { unit: { id: string }; stats: FollowStats }[], now: Date = new Date()): FollowState {
  const out: FollowState = { savedAt: now.toISOString(), units: {} };
  for (const { unit, stats } of units) {
    out.units[unit.id] = {
      ...(stats.lastEventAt ? { lastEventAt: stats.lastEventAt } : {}),
      ...(stats.gap !== undefined ? { gap: stats.gap } : {}),
      gaps: stats.gaps,
      gapsHealed: stats.gapsHealed,
      events: stats.events,
    };
  }
  return out;
}

/** Why a resumed unit has a gap: the time no run followed it, as precisely as the saved state allows. */
export function downtimeGap(previous: FollowState | undefined, unitId: string, now: Date = new Date()): string {
  if (!previous) return 'writes made while no follow run was running were not seen';
  const unit = previous.units[unitId];
  const open = unit?.gap !== undefined ? `; a gap was open then: ${unit.gap}` : '';
  const last = unit?.lastEventAt ? `, last event seen ${unit.lastEventAt}` : '';
  return `the follow run was down from ${previous.savedAt} to ${now.toISOString()}${last}${open}`;
}
