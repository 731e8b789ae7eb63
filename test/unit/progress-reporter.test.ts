import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgressReporter } from '../../src/cli/progress-reporter.js';
import { type MigrationPlan, newCheckpoint, type UnitCheckpoint, type UnitDescriptor } from '../../src/core/contracts.js';
import type { SourceLayout } from '../../src/redis/source-access.js';
import type { TargetLayout } from '../../src/redis/target-access.js';
import type { RunEvent } from '../../src/runner/run-migration.js';
import { VirtualTerminal } from '../helpers/virtual-terminal.js';
import { waitUntil } from '../helpers/wait.js';

const units: UnitDescriptor[] = [
  { id: 'db0', label: '127.0.0.1:6379 db0', sourceDb: 0, targetDb: 0, sourceAddress: '127.0.0.1:6379' },
  { id: 'db1', label: '127.0.0.1:6379 db1', sourceDb: 1, targetDb: 1, sourceAddress: '127.0.0.1:6379' },
];
const plan: MigrationPlan = { migrationId: 'm', units, createdAt: new Date(0).toISOString() };
const planEvent = { type: 'plan', plan, resumed: false, source: {} as SourceLayout, target: {} as TargetLayout } as const;

function progress(unit: UnitDescriptor, copied: number, done: boolean): RunEvent {
  const checkpoint: UnitCheckpoint = {
    ...newCheckpoint(unit.id),
    status: done ? 'done' : 'running',
    cursor: done ? '0' : '4611686018427387904', // half way through the scan
    counters: { ...newCheckpoint(unit.id).counters, copied, scanned: copied, batches: 1 },
  };
  return { type: 'progress', unit, checkpoint };
}

describe('Function: createProgressReporter (bars on a terminal)', () => {
  it('leaves every unit on screen exactly once after a line is logged above the bars', async () => {
    // Prepare: bars on a terminal, drawn once with both units under way.
    const tty = new VirtualTerminal();
    const reporter = createProgressReporter('auto', tty as unknown as NodeJS.WriteStream);
    reporter.handle(planEvent);
    reporter.handle(progress(units[0]!, 100, false));
    reporter.handle(progress(units[1]!, 200, false));
    await waitUntil(async () => tty.screen().some((l) => l.includes('200 keys')), {
      description: 'the bars to be drawn',
      timeoutMs: 10_000,
    });
    // Act: the copy ends; a line is logged (as migrate logs "Copy done; verifying…") and shown.
    reporter.handle(progress(units[0]!, 300, true));
    reporter.handle(progress(units[1]!, 400, true));
    await waitUntil(async () => tty.screen().some((l) => l.includes('400 keys')), {
      description: 'the finished bars to be drawn',
      timeoutMs: 10_000,
    });
    reporter.log('Copy done; verifying every key (quick: existence, type, TTL)…');
    await waitUntil(async () => tty.raw.includes('Copy done'), { description: 'the logged line to be drawn', timeoutMs: 10_000 });
    reporter.stop();
    // Assess: the last frame holds the logged line, then each bar once, then nothing stale.
    const screen = tty.screen();
    const count = (text: string) => screen.filter((l) => l.includes(text)).length;
    assert.equal(count('Copy done'), 1, screen.join('\n'));
    assert.equal(count('db0'), 1, screen.join('\n'));
    assert.equal(count('db1'), 1, screen.join('\n'));
    assert.equal(count('total'), 1, screen.join('\n'));
    assert.match(screen.find((l) => l.includes('db0'))!, /100% \| 300 keys/);
    assert.match(screen.find((l) => l.includes('db1'))!, /100% \| 400 keys/);
    assert.match(screen.find((l) => l.includes('total'))!, /100% \| 700 keys/);
  });

  it('shows a line logged just before it stops, and a second stop draws nothing more', async () => {
    const tty = new VirtualTerminal();
    const reporter = createProgressReporter('bar', tty as unknown as NodeJS.WriteStream);
    reporter.handle(planEvent);
    reporter.handle(progress(units[0]!, 10, true));
    reporter.handle(progress(units[1]!, 20, true));
    reporter.log('Copy done; verifying every key (quick: existence, type, TTL)…');
    reporter.stop();
    const afterStop = tty.raw.length;
    tty.write('summary line written below the bars\n');
    reporter.stop();
    const screen = tty.screen();
    assert.equal(screen.filter((l) => l.includes('Copy done')).length, 1, screen.join('\n'));
    assert.equal(screen.filter((l) => l.includes('total')).length, 1, screen.join('\n'));
    assert.equal(tty.raw.length, afterStop + 'summary line written below the bars\n'.length, 'the second stop wrote nothing');
    assert.equal(screen.at(-1), 'summary line written below the bars');
  });
});
