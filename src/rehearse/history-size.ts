import type { WorkflowEvent } from './local-workflow.js';

/** Step Functions' hard limit on one execution's history. */
export const HISTORY_LIMIT = 25_000;

/** One child execution of a Distributed Map: which Map, which item. */
export interface ChildHistory {
  map: string;
  index: number;
  events: number;
}

/**
 * Counts the history events Step Functions would record for one execution, from the local
 * interpreter's events, as docs/serverless.md counts them: a Task is TaskStateEntered,
 * TaskScheduled, TaskStarted, then TaskSucceeded (+ TaskSubmitted for StartExecution) and
 * TaskStateExited, each failed attempt TaskFailed and each retry TaskScheduled + TaskStarted again;
 * a Distributed Map adds MapRunStarted/MapRunSucceeded to its entry and exit; other states enter
 * and exit. The iterations of a Distributed Map are child executions with histories of their own.
 */
export class HistoryCounter {
  parent = 0;
  readonly children = new Map<string, ChildHistory>();
  private currentMap: string | undefined;
  private readonly caught = new Set<string>();

  constructor(
    private readonly distributedMaps: readonly string[],
    private readonly startExecutionStates: readonly string[],
  ) {}

  add(event: WorkflowEvent): void {
    const index = 'index' in event && typeof event.index === 'number' ? event.index : undefined;
    const inChild = index !== undefined && this.currentMap !== undefined && this.distributedMaps.includes(this.currentMap);
    const count = this.eventsOf(event, inChild ? `${index}` : '');
    if (!inChild) {
      this.parent += count;
      if (event.type === 'StateEntered' && event.state.type === 'Map') this.currentMap = event.state.name;
      return;
    }
    const key = `${this.currentMap}#${index}`;
    const child = this.children.get(key) ?? { map: this.currentMap!, index: index!, events: 0 };
    child.events += count;
    this.children.set(key, child);
  }

  /** The child execution of `map`'s item `index` (its events so far). */
  child(map: string, index: number): number {
    return this.children.get(`${map}#${index}`)?.events ?? 0;
  }

  private eventsOf(event: WorkflowEvent, scope: string): number {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return 1;
      case 'StateEntered':
        this.caught.delete(`${scope}/${event.state.name}`);
        return event.state.type === 'Task' ? 3 : event.state.type === 'Map' && this.isDistributed(event.state.name) ? 2 : 1;
      case 'StateFailed':
        // A Fail state's failure is the ExecutionFailed event itself.
        return event.state.type === 'Fail' ? 0 : 1;
      case 'StateRetried':
        return 2;
      case 'StateCaught':
        this.caught.add(`${scope}/${event.state.name}`);
        return 0;
      case 'StateExited':
        return this.exitEvents(event.state.type, event.state.name, scope);
      default:
        return 0;
    }
  }

  private exitEvents(type: string, name: string, scope: string): number {
    if (type === 'Map') return this.isDistributed(name) ? 2 : 1;
    if (type !== 'Task') return 1;
    if (this.caught.has(`${scope}/${name}`)) return 1;
    return this.startExecutionStates.includes(name) ? 3 : 2;
  }

  private isDistributed(name: string): boolean {
    return this.distributedMaps.includes(name);
  }
}
