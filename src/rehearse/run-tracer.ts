import { HISTORY_LIMIT, HistoryCounter } from './history-size.js';
import type { ExecutionRecord, Invocation, WorkflowEvent, WorkflowObserver } from './local-workflow.js';
import type { ExecutionTrace, RunTrace, SliceTrace } from './run-trace.js';
import { emptyTrace } from './run-trace.js';
import type { TemplateMachine } from './template-machine.js';

/** The state machine's first state (infra/constructs/follow-states.ts), a routing Choice. */
const ENTRY_CHOICE = 'Entry?';

/** Where a unit stands after a slice: its total so far and its cursor (read from the checkpoint table). */
export type ProgressReader = (
  phase: 'copy' | 'verify',
  migrationId: string,
  unitId: string,
) => Promise<{ total: number; cursor: string } | undefined>;

const count = new Intl.NumberFormat('en-US');
const fmt = (n: number) => count.format(n);
const column = (name: string) => `  ${name.padEnd(17)} `;

type StateEvent = Extract<WorkflowEvent, { state: unknown }>;
type Json = Record<string, unknown>;

/**
 * Follows a local run as it happens: prints each state of each execution, each Copy and Verify
 * slice (unit, slice number, keys, cursor), the hand-over to the next round, and the history size
 * of every execution and child execution; and keeps it all as a RunTrace for the final report.
 */
export class RunTracer implements WorkflowObserver {
  readonly trace: RunTrace = emptyTrace();
  private current!: ExecutionTrace;
  private history!: HistoryCounter;
  private pendingChoice: string | undefined;
  private mapName: string | undefined;
  private readonly outcomes = new Map<number, { text: string; slices: number }>();
  private unitWidth = 0;

  constructor(
    private readonly machine: TemplateMachine,
    private readonly progress: ProgressReader,
    private readonly out: (line: string) => void = () => {},
  ) {}

  executionStarted(name: string, input: unknown): void {
    const round = typeof (input as Json)?.round === 'number' ? ((input as Json).round as number) : 0;
    this.current = { name, round, unitIds: [], events: 0, children: [] };
    this.trace.executions.push(this.current);
    this.history = new HistoryCounter(this.machine.distributedMaps, this.machine.startExecutionStates);
    this.outcomes.clear();
    this.mapName = undefined;
    this.out('');
    this.out(`▶ execution ${name} (round ${round})`);
  }

  event(_execution: string, event: WorkflowEvent): void {
    this.history.add(event);
    if (event.type === 'StateEntered') this.trace.transitions++;
    if (event.type === 'MapIterationSucceeded' || event.type === 'MapIterationFailed') this.childEnded(event.index);
    else if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') this.historyLine();
    else if ('state' in event) {
      const index = 'index' in event && typeof event.index === 'number' ? event.index : undefined;
      if (index === undefined) this.parentState(event);
      else this.childState(event, index);
    }
  }

  invoking(invocation: Invocation): void {
    this.trace.invocations.set(invocation.state, (this.trace.invocations.get(invocation.state) ?? 0) + 1);
  }

  async invoked(invocation: Invocation, result: unknown, elapsedMs: number): Promise<void> {
    const r = (result ?? {}) as Json;
    const phase = typeof r.copied === 'number' ? 'copy' : typeof r.checked === 'number' ? 'verify' : undefined;
    if (!phase || typeof r.unitId !== 'string') return;
    // The view must not fail the run: a checkpoint that cannot be read shows as '?'.
    const at = await this.progress(phase, String(r.migrationId), r.unitId).catch(() => undefined);
    const slice: SliceTrace = {
      execution: this.current.name,
      phase,
      unitId: r.unitId,
      slice: Number(r.slices),
      keys: Number(phase === 'copy' ? r.copied : r.checked),
      total: at?.total ?? 0,
      cursor: at?.cursor ?? '?',
      done: r.done === true,
      ms: elapsedMs,
    };
    this.trace.slices.push(slice);
    const keys = `${phase === 'copy' ? '+' : ''}${fmt(slice.keys)} ${phase === 'copy' ? 'copied' : 'checked'}`;
    const unit = `${invocation.state.padEnd(7)}${slice.unitId.padEnd(this.unitWidth)}`;
    const cursor = slice.done ? '0 (done)' : slice.cursor;
    this.out(
      `    ${unit}  slice ${slice.slice}  ${keys.padStart(15)}  total ${fmt(slice.total).padStart(7)}  cursor ${cursor}  ${elapsedMs} ms`,
    );
  }

  executionEnded(record: ExecutionRecord): void {
    this.current.status = record.status;
    if (record.status === 'FAILED' && record.error) this.out(`  ✗ ${record.error.name}: ${record.error.cause}`);
  }

  private parentState(event: StateEvent): void {
    const { name, type } = event.state;
    if (event.type === 'StateEntered') {
      if (this.pendingChoice) this.out(`${column(this.pendingChoice)}→ ${name}`);
      // Entry? only tells a follow lane's input from a run's: not a step worth a line.
      this.pendingChoice = type === 'Choice' && name !== ENTRY_CHOICE ? name : undefined;
      if (type === 'Map') this.mapEntered(name, event.state.input as Json);
      if (type === 'Fail') this.out(column(name).trimEnd());
      return;
    }
    if (event.type === 'StateFailed' && type === 'Task') this.out(`${column(name)}failed: ${event.Error}`);
    if (event.type === 'StateRetried') this.out(`${column(name)}retried (attempt ${event.retry.attempt})`);
    if (event.type === 'StateExited') this.parentExited(name, type, event.state.input as Json, event.state.output as Json);
  }

  private mapEntered(name: string, input: Json): void {
    this.mapName = name;
    this.current.unitIds = Array.isArray(input?.unitIds) ? (input.unitIds as string[]) : [];
    this.unitWidth = Math.max(0, ...this.current.unitIds.map((id) => id.length));
    const state = (this.machine.definition.States as Record<string, { MaxConcurrency?: number }>)[name];
    const limit = state?.MaxConcurrency ? `, at most ${state.MaxConcurrency} at once` : '';
    this.out(`${column(name)}${this.current.unitIds.length} child execution(s), one per unit${limit}`);
  }

  private parentExited(name: string, type: string, input: Json, output: Json): void {
    // Report's answer is under `report`, on top of the state Plan left: look for it first.
    const report = output?.report as Json | undefined;
    if (type === 'Succeed') this.out(column(name).trimEnd());
    else if (type !== 'Task') return;
    else if (this.machine.startExecutionStates.includes(name)) this.out(`${column(name)}starts execution ${input?.nextExecutionName}`);
    else if (report && typeof report.finished === 'boolean') this.out(`${column(name)}${reportLine(report)}`);
    else if (typeof output?.phase === 'string' && Array.isArray(output.unitIds)) this.planned(name, output);
    // A Record…Failure task: the cause ends the execution (printed there).
    else if (typeof output?.cause === 'string') this.out(`${column(name)}${output.error} recorded`);
  }

  private planned(name: string, plan: Json): void {
    this.current.phase = plan.phase as 'copy' | 'verify';
    const ids = plan.unitIds as string[];
    const listed = ids.length <= 6 ? `: ${ids.join(', ')}` : '';
    const resumed = plan.resumed ? ', plan resumed' : '';
    this.out(`${column(name)}phase ${plan.phase}, ${ids.length} of ${plan.unitCount} unit(s)${listed}${resumed}`);
  }

  private childState(event: StateEvent, index: number): void {
    const unitId = this.current.unitIds[index] ?? `item ${index}`;
    const { name, type } = event.state;
    if (event.type === 'StateEntered' && type === 'Succeed') {
      const input = event.state.input as Json;
      const done = input?.done === true;
      const slices = Number(input?.slices ?? 0);
      const text = done ? `done after ${slices} slice(s)` : `${slices} slices, this round's budget: the next round goes on`;
      this.outcomes.set(index, { text: `${text} (${name})`, slices });
    }
    if (event.type === 'StateFailed' && type === 'Task') this.out(`    ${unitId}  ${name} failed: ${event.Error}`);
    if (event.type === 'StateRetried') this.out(`    ${unitId}  ${name} retried (attempt ${event.retry.attempt})`);
    if (event.type === 'StateExited' && type === 'Task' && typeof (event.state.output as Json)?.cause === 'string') {
      const output = event.state.output as Json;
      this.outcomes.set(index, { text: `${name}: ${output.error}: ${output.cause}`, slices: 0 });
    }
  }

  private childEnded(index: number): void {
    const unitId = this.current.unitIds[index] ?? `item ${index}`;
    const map = this.mapName ?? '';
    const events = this.history.child(map, index);
    const outcome = this.outcomes.get(index) ?? { text: 'ended', slices: 0 };
    this.current.children.push({ map, index, events, unitId, slices: outcome.slices, outcome: outcome.text });
    this.out(`    ${unitId.padEnd(this.unitWidth)}  ${outcome.text}; child execution: ${fmt(events)} history events`);
  }

  private historyLine(): void {
    this.current.events = this.history.parent;
    const children = this.current.children.map((c) => c.events);
    const largest = children.length > 0 ? `; its largest child execution ${fmt(Math.max(...children))}` : '';
    this.out(`${column('history')}${fmt(this.history.parent)} events${largest} (limit ${fmt(HISTORY_LIMIT)} each)`);
  }
}

function reportLine(report: Json): string {
  if (report.finished) return 'finished';
  if (report.verificationFailed) return 'verification failed';
  if (Number(report.pendingUnits) > 0) return `${report.pendingUnits} unit(s) not copied yet: another round`;
  return `${report.pendingVerify} unit(s) not verified yet: another round`;
}
