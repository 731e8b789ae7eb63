import { existsSync, rmSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnitDescriptor } from '../core/contracts.js';
import type { FollowControl } from '../runner/follow/follow-run.js';
import type { FollowState } from '../runner/follow/follow-state.js';
import type { FollowStats } from '../runner/follow/follower.js';
import { cutoverRequestPath } from './cutover-command.js';
import { followRow, formatFollowStats, formatVerdict } from './follow-format.js';
import type { ProgressReporter } from './progress-reporter.js';

/**
 * How a local follow run learns it should cut over: Ctrl-C once, or `redis-ferry cutover <id>`
 * from another terminal (a file in the migration's state dir). A second Ctrl-C stops instead.
 */
export function followControl(stateDir: string, migrationId: string, reporter: ProgressReporter, mode: 'events' | 'rescan' = 'events') {
  const waiting =
    mode === 'rescan'
      ? 'no new pass starts; a final full pass of every unit, then another until one finds no difference'
      : 'draining, then waiting for a quiet period';
  const requestFile = cutoverRequestPath(stateDir, migrationId);
  const restoreFile = join(stateDir, migrationId, 'notify-keyspace-events.json');
  const stateFile = join(stateDir, migrationId, 'follow-state.json');
  rmSync(requestFile, { force: true }); // a request left by an earlier run is not this run's
  let requested = false;
  let checkedAt = 0;
  let shownAt = Number.NEGATIVE_INFINITY; // the first report is shown at once
  let ratedAt = 0;
  let lastEvents = new Map<string, number>();
  const control: FollowControl = {
    cutoverRequested: () => {
      if (!requested && performance.now() - checkedAt > 500) {
        checkedAt = performance.now();
        if (existsSync(requestFile)) {
          requested = true;
          reporter.log(`Cutover requested: ${waiting}…`);
        }
      }
      return requested;
    },
    onStats: (stats) => {
      const now = performance.now();
      const rates = new Map<string, number>();
      for (const { unit, stats: s } of stats) {
        const before = lastEvents.get(unit.id);
        if (before !== undefined) rates.set(unit.id, ((s.events - before) * 1000) / (now - ratedAt));
      }
      lastEvents = new Map(stats.map((s) => [s.unit.id, s.stats.events]));
      ratedAt = now;
      // On a terminal the rows are redrawn in place every call; elsewhere a block of lines every 5 s.
      if (reporter.showFollow(rowsOf(stats, rates)) || now - shownAt < 5000) return;
      shownAt = now;
      for (const line of formatFollowStats(stats, rates)) reporter.log(line);
    },
    restoreStore: {
      load: async () => {
        try {
          return JSON.parse(await readFile(restoreFile, 'utf8')) as Record<string, string>;
        } catch {
          return {};
        }
      },
      save: async (values) => {
        if (Object.keys(values).length === 0) await rm(restoreFile, { force: true });
        else await writeFile(restoreFile, `${JSON.stringify(values)}\n`);
      },
    },
    stateStore: {
      load: async () => {
        try {
          return JSON.parse(await readFile(stateFile, 'utf8')) as FollowState;
        } catch {
          return undefined;
        }
      },
      // Written aside and renamed: a run killed mid-write leaves the previous state whole.
      save: async (state) => {
        await writeFile(`${stateFile}.tmp`, `${JSON.stringify(state)}\n`);
        await rename(`${stateFile}.tmp`, stateFile);
      },
    },
    onCaughtUp: (verdict) => {
      rmSync(requestFile, { force: true });
      reporter.showFollow(rowsOf(verdict.units)); // the live rows end on the verdict's state, not the last second's
      for (const line of formatFollowStats(verdict.units)) reporter.log(line);
      reporter.log(formatVerdict(verdict));
    },
  };
  return {
    control,
    /** Ctrl-C: the first one asks for the cutover; returns false once it already has (then it stops). */
    requestFromSignal(): boolean {
      if (requested) return false;
      requested = true;
      reporter.log(`Cutover: ${waiting} (Ctrl-C again stops; the run resumes later)…`);
      return true;
    },
  };
}

function rowsOf(stats: { unit: UnitDescriptor; stats: FollowStats }[], rates: Map<string, number> = new Map()) {
  return stats.map(({ unit, stats: s }) => ({ id: unit.id, label: `unit ${unit.id}`, text: followRow(s, rates.get(unit.id)) }));
}
