import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { sumCounters, type UnitCheckpoint, type UnitDescriptor } from '../core/contracts.js';
import { scanProgress } from '../core/scan-position.js';
import type { RestoreEvent } from '../runner/restore/run-restore.js';
import type { RunEvent } from '../runner/run-migration.js';
import { formatBytes, formatCount, formatRate } from './format.js';

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

export interface ProgressReporter {
  handle(event: RunEvent | RestoreEvent): void;
  /** A line that must not be torn by the bars (notes, retries). */
  log(line: string): void;
  stop(): void;
}

interface UnitEntry {
  label: string;
  range?: UnitDescriptor['rdbRange'];
  checkpoint?: UnitCheckpoint;
}

/**
 * A unit's fraction done: estimated from its SCAN cursor (see scan-position.ts), or, for a range of
 * an RDB file, exact from the byte offset its cursor is.
 */
export function unitProgress(range: UnitDescriptor['rdbRange'], checkpoint: UnitCheckpoint): number {
  const done = checkpoint.status === 'done';
  if (!range) return scanProgress(checkpoint.cursor, done);
  if (done) return 1;
  if (checkpoint.cursor === '0' || range.to <= range.from) return 0;
  return Math.min(1, Math.max(0, (Number(checkpoint.cursor) - range.from) / (range.to - range.from)));
}

/** Bars need a terminal; more units than this get only the total bar. */
const MAX_UNIT_BARS = 16;

/**
 * Live progress on stderr: bars (one per unit and a total) on a terminal, or one plain line every
 * `intervalMs` otherwise (`bar` too, off a terminal), so CI logs and `nohup` files stay readable.
 * Percentages are estimated from each unit's SCAN cursor (see scan-position.ts); counts are exact.
 */
export function createProgressReporter(
  mode: ProgressMode,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = 5000,
): ProgressReporter {
  // Bars need a terminal (cli-progress draws nothing, and writes no logged line, elsewhere).
  const resolved = mode === 'auto' || mode === 'bar' ? (stream.isTTY ? 'bar' : 'plain') : mode;
  const units = new Map<string, UnitEntry>();
  const started = performance.now();
  const totals = () => {
    const list = [...units.values()];
    const cps = list.map((u) => u.checkpoint).filter((c): c is UnitCheckpoint => c !== undefined);
    const counters = sumCounters(cps.map((c) => c.counters));
    const progress =
      list.length === 0 ? 0 : list.reduce((n, u) => n + (u.checkpoint ? unitProgress(u.range, u.checkpoint) : 0), 0) / list.length;
    const done = cps.filter((c) => c.status === 'done').length;
    return { counters, progress, done, count: list.length };
  };
  const line = () => {
    const t = totals();
    const elapsed = performance.now() - started;
    return (
      `${(t.progress * 100).toFixed(1)}% | ${formatCount(t.counters.copied)} keys copied, ` +
      `${formatCount(t.counters.skippedExisting + t.counters.skippedGone)} ` +
      `skipped, ${formatCount(t.counters.filtered)} filtered | ${formatRate(t.counters.copied, elapsed)} ` +
      `| ${formatBytes(t.counters.bytes)} | units ${t.done}/${t.count} done`
    );
  };

  if (resolved === 'none') {
    return { handle: () => {}, log: (l) => stream.write(`${l}\n`), stop: () => {} };
  }

  if (resolved === 'plain') return plainReporter(stream, units, line, intervalMs);

  const multibar = new MultiBar(
    {
      stream,
      format: ' {label} [{bar}] {percentage}% | {copied} keys | {rate} | {bytes}',
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 5,
      // A logged line is written where the first bar was and pushes the bars one line down, but a
      // bar is redrawn only when its text changed: unchanged bars were left where they had been, so
      // the frame showed one unit twice and another not at all. A few lines 5 times a second are cheap.
      forceRedraw: true,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  let totalBar: SingleBar | undefined;
  // Stopping twice would draw the bars again below whatever was printed after the first stop.
  let stopped = false;
  const payload = (cp: UnitCheckpoint | undefined, label: string) => ({
    label,
    copied: formatCount(cp?.counters.copied ?? 0),
    rate: formatRate(cp?.counters.copied ?? 0, performance.now() - started),
    bytes: formatBytes(cp?.counters.bytes ?? 0),
  });
  return {
    handle(event) {
      if (event.type === 'plan') {
        const width = Math.max(5, ...event.plan.units.map((u) => u.label.length));
        for (const u of event.plan.units) {
          units.set(u.id, { label: u.label, range: u.rdbRange });
          if (event.plan.units.length > 1 && event.plan.units.length <= MAX_UNIT_BARS) {
            bars.set(u.id, multibar.create(100, 0, payload(undefined, u.label.padEnd(width))));
            units.set(u.id, { label: u.label.padEnd(width), range: u.rdbRange });
          }
        }
        totalBar = multibar.create(100, 0, payload(undefined, 'total'.padEnd(width)));
      } else if (event.type === 'progress') {
        const entry = units.get(event.unit.id);
        if (!entry) return;
        entry.checkpoint = event.checkpoint;
        const cp = event.checkpoint;
        bars.get(event.unit.id)?.update(Math.floor(unitProgress(entry.range, cp) * 100), payload(cp, entry.label));
        const t = totals();
        totalBar?.update(Math.floor(t.progress * 100), {
          label: 'total'.padEnd(Math.max(5, ...[...units.values()].map((u) => u.label.length))),
          copied: formatCount(t.counters.copied),
          rate: formatRate(t.counters.copied, performance.now() - started),
          bytes: formatBytes(t.counters.bytes),
        });
      }
    },
    log: (l) => multibar.log(`${l}\n`),
    stop() {
      if (stopped) return;
      stopped = true;
      // Lines logged since the last frame are only written by a frame: draw one, or they are lost.
      multibar.update();
      multibar.stop();
    },
  };
}

/** One plain progress line every `intervalMs`, for logs and pipes. */
function plainReporter(
  stream: NodeJS.WriteStream,
  units: Map<string, UnitEntry>,
  line: () => string,
  intervalMs: number,
): ProgressReporter {
  let timer: NodeJS.Timeout | undefined;
  return {
    handle(event) {
      if (event.type === 'plan') {
        for (const u of event.plan.units) units.set(u.id, { label: u.label, range: u.rdbRange });
        timer ??= setInterval(() => stream.write(`progress ${line()}\n`), intervalMs);
        timer.unref();
      } else if (event.type === 'progress') {
        const entry = units.get(event.unit.id);
        if (entry) entry.checkpoint = event.checkpoint;
      }
    },
    log: (l) => stream.write(`${l}\n`),
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
