import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { followControl } from '../../src/cli/follow-control.js';
import { createProgressReporter } from '../../src/cli/progress-reporter.js';
import { type MigrationPlan, newCheckpoint, type UnitDescriptor } from '../../src/core/contracts.js';
import type { SourceLayout } from '../../src/redis/source-access.js';
import type { TargetLayout } from '../../src/redis/target-access.js';
import type { FollowStats } from '../../src/runner/follow/follower.js';
import { VirtualTerminal } from '../helpers/virtual-terminal.js';
import { waitUntil } from '../helpers/wait.js';

const units: UnitDescriptor[] = [
  { id: 'n1-db0', label: '127.0.0.1:7001 db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:7001' },
  { id: 'n2-db0', label: '127.0.0.1:7002 db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:7002' },
];
const plan: MigrationPlan = { migrationId: 'm', units, createdAt: new Date(0).toISOString() };
const planEvent = { type: 'plan', plan, resumed: false, source: {} as SourceLayout, target: {} as TargetLayout } as const;

const events = (over: Partial<FollowStats>): FollowStats => ({
  events: 0,
  applied: 0,
  deleted: 0,
  pending: 0,
  lagMs: 0,
  gaps: 0,
  gapsHealed: 0,
  reconciling: false,
  quietMs: 0,
  ...over,
});

/** A stream that is not a terminal: what a log file or a pipe receives. */
class Lines extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('Follow progress: live rows on a terminal, plain lines elsewhere', () => {
  let stateDir: string;
  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'ferry-follow-progress-'));
  });
  after(async () => rm(stateDir, { recursive: true, force: true }));

  it('draws one row per unit under the bars and redraws it in place: events/s, pending, lag, gaps healed', async () => {
    // Prepare: the copy's bars on a terminal, done.
    const tty = new VirtualTerminal();
    const reporter = createProgressReporter('auto', tty as unknown as NodeJS.WriteStream);
    reporter.handle(planEvent);
    for (const unit of units) {
      const checkpoint = { ...newCheckpoint(unit.id), status: 'done' as const, cursor: '0' };
      reporter.handle({ type: 'progress', unit, checkpoint });
    }
    const { control } = followControl(stateDir, 'm', reporter);
    try {
      // Act: the follower reports twice (as every second); a note is logged in between.
      control.onStats!([
        { unit: units[0]!, stats: events({ events: 100, pending: 40, lagMs: 2500, gaps: 1 }) },
        { unit: units[1]!, stats: events({ events: 10 }) },
      ]);
      reporter.log('note: unit n1-db0: gap (subscription lost); a reconcile will repair it');
      control.onStats!([
        { unit: units[0]!, stats: events({ events: 2100, pending: 3, lagMs: 120, gaps: 1, gapsHealed: 1 }) },
        { unit: units[1]!, stats: events({ events: 10, reconciling: true }) },
      ]);
      await waitUntil(async () => tty.screen().some((l) => /unit n1-db0 .*gaps healed 1\/1/.test(l)), {
        description: 'the second report to be drawn',
        timeoutMs: 10_000,
      });
    } finally {
      reporter.stop();
    }

    // Assess: each unit's row once, with the latest state; the note above the frame; no plain block.
    const screen = tty.screen();
    const rows = (id: string) => screen.filter((l) => l.includes(`unit ${id} `));
    assert.equal(rows('n1-db0').length, 1, screen.join('\n'));
    assert.equal(rows('n2-db0').length, 1, screen.join('\n'));
    assert.match(rows('n1-db0')[0]!, /following \| [\d,]+ events\/s \| 3 pending \| lag 0\.1 s \| gaps healed 1\/1 \| 2,100 events/);
    assert.match(rows('n2-db0')[0]!, /reconciling \| 0 events\/s \| 0 pending/);
    const note = screen.findIndex((l) => l.includes('gap (subscription lost)'));
    assert.ok(note >= 0 && note < screen.findIndex((l) => l.includes('unit n1-db0 ')), screen.join('\n'));
    assert.doesNotMatch(tty.raw, / {2}unit n1-db0: following;/, 'no plain line on a terminal');
  });

  it("shows rescan mode's pass, its differences and the last clean pass", async () => {
    const tty = new VirtualTerminal();
    const reporter = createProgressReporter('bar', tty as unknown as NodeJS.WriteStream);
    reporter.handle(planEvent);
    const { control } = followControl(stateDir, 'm', reporter, 'rescan');
    try {
      const rescan = {
        passes: 6,
        running: { pass: 7, final: false, startedAt: '2026-12-03T18:40:00.000Z' },
        last: { pass: 6, compared: 1204, changed: 12, durationMs: 400, startedAt: '2026-12-03T18:39:59.000Z', final: false },
        lastCleanAt: '2026-12-03T18:39:51.000Z',
      };
      control.onStats!(units.map((unit) => ({ unit, stats: events({ lagMs: 1600, rescan }) })));
      await waitUntil(async () => tty.screen().filter((l) => l.includes('rescan pass 7')).length === 2, {
        description: 'the rescan rows to be drawn',
        timeoutMs: 10_000,
      });
    } finally {
      reporter.stop();
    }
    const row = tty.screen().find((l) => l.includes('unit n1-db0 '))!;
    assert.match(row, /rescan pass 7 \| 6 done \| last pass: 12 differences \| lag 1\.6 s \| last clean 18:39:51/);
  });

  it('writes plain lines off a terminal (and --progress none), at most every 5 s', () => {
    for (const mode of ['auto', 'none'] as const) {
      const out = new Lines();
      const reporter = createProgressReporter(mode, out as unknown as NodeJS.WriteStream);
      reporter.handle(planEvent);
      const { control } = followControl(stateDir, 'm', reporter);
      control.onStats!([{ unit: units[0]!, stats: events({ events: 5, pending: 2 }) }]);
      control.onStats!([{ unit: units[0]!, stats: events({ events: 9, pending: 1 }) }]);
      reporter.stop();
      const lines = out.text.split('\n').filter((l) => l.includes('unit n1-db0'));
      assert.equal(lines.length, 1, `${mode}: ${out.text}`);
      assert.match(lines[0]!, /^ {2}unit n1-db0: following; 5 events, 0 copied, 0 deleted, 2 pending, lag 0\.0 s, gaps healed 0\/0$/);
    }
  });
});
