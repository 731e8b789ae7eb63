import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { formatBytes, formatCount, formatDuration } from './format.js';
import type { WatchModel, WatchPhase } from './watch-model.js';

/** Keys/s and time left, where known. */
export interface Pace {
  perSecond?: number;
  etaMs?: number;
}

export interface WatchRates {
  total: Pace;
  units: Map<string, Pace>;
}

/** The output of the watcher: a terminal gets bars, anything else plain lines. */
export type WatchStream = NodeJS.WritableStream & { isTTY?: boolean };

export interface WatchView {
  render(model: WatchModel, rates: WatchRates): void;
  /** Removes nothing: leaves the last frame (or line) on screen, and the cursor shown. */
  stop(): void;
}

/** More units than this get only the total bar (as the local progress bars). */
const MAX_UNIT_BARS = 16;

const WHAT: Record<WatchPhase, string> = { copy: 'copied', delete: 'checked', verify: 'compared' };

const rate = (pace: Pace) => (pace.perSecond === undefined ? '- keys/s' : `${formatCount(pace.perSecond)} keys/s`);
const eta = (pace: Pace) => (pace.etaMs === undefined ? 'ETA -' : pace.etaMs === 0 ? 'ETA 0s' : `ETA ${formatDuration(pace.etaMs)}`);

/** One line for a log: the phase's total, pace and ETA, and the run's copy totals. */
export function progressLine(migrationId: string, model: WatchModel, pace: Pace): string {
  const t = model.total;
  return (
    `${migrationId} ${model.phase}${model.round !== undefined ? ` (round ${model.round})` : ''}: ` +
    `${(t.progress * 100).toFixed(1)}% | ${formatCount(t.count)} keys ${WHAT[model.phase]} | ${rate(pace)} | ${eta(pace)} | ` +
    `units ${t.done}/${t.of} done | ${formatCount(model.copied)} keys (${formatBytes(model.bytes)}) copied in all`
  );
}

export function createWatchView(stream: WatchStream, migrationId: string): WatchView {
  return stream.isTTY ? barView(stream, migrationId) : lineView(stream, migrationId);
}

/** A progress line per poll where anything changed (keys/s and ETA aside, which change every time). */
function lineView(stream: WatchStream, migrationId: string): WatchView {
  let last = '';
  return {
    render(model, rates) {
      const key = progressLine(migrationId, model, {});
      if (key === last) return;
      last = key;
      stream.write(`${progressLine(migrationId, model, rates.total)}\n`);
    },
    stop() {},
  };
}

/** Bars redrawn at each poll: one per unit of the phase (up to MAX_UNIT_BARS) and the total; a new phase gets new bars. */
function barView(stream: WatchStream, migrationId: string): WatchView {
  const multibar = new MultiBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ' {label} [{bar}] {percentage}% | {count} keys {what} | {rate} | {timeLeft}',
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      forceRedraw: true,
      // Frames are drawn on each poll (update below), not on a timer.
      fps: 1,
    },
    Presets.shades_classic,
  );
  let phase: WatchPhase | undefined;
  let bars = new Map<string, SingleBar>();
  let stopped = false;
  return {
    render(model, rates) {
      if (model.phase !== phase) {
        for (const bar of bars.values()) multibar.remove(bar);
        if (phase) multibar.log(`${migrationId}: ${phase} done, now ${model.phase}\n`);
        phase = model.phase;
        bars = createBars(multibar, model);
      }
      const total = `${model.phase} ${model.total.done}/${model.total.of}`;
      const width = Math.max(total.length, ...model.units.map((u) => u.label.length));
      const payload = (label: string, count: number, pace: Pace) => ({
        label: label.padEnd(width),
        count: formatCount(count),
        what: WHAT[model.phase],
        rate: rate(pace),
        timeLeft: eta(pace),
      });
      for (const u of model.units)
        bars.get(u.id)?.update(Math.floor(u.progress * 100), payload(u.label, u.count, rates.units.get(u.id) ?? {}));
      bars.get('')?.update(Math.floor(model.total.progress * 100), payload(total, model.total.count, rates.total));
      multibar.update();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      multibar.stop();
    },
  };
}

/** The bars of a phase: its units' (when there are a few) and the total's, under the id ''. */
function createBars(multibar: MultiBar, model: WatchModel): Map<string, SingleBar> {
  const bars = new Map<string, SingleBar>();
  // A payload object each: cli-progress keeps the one it is given and updates it in place.
  const empty = () => ({ label: '', count: '0', what: WHAT[model.phase], rate: '', timeLeft: '' });
  if (model.units.length > 1 && model.units.length <= MAX_UNIT_BARS)
    for (const u of model.units) bars.set(u.id, multibar.create(100, 0, empty()));
  bars.set('', multibar.create(100, 0, empty()));
  return bars;
}
