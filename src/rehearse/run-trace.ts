import type { ChildHistory } from './history-size.js';

/** What one execution (one round) of a run did, as the tracer saw it. */
export interface ExecutionTrace {
  name: string;
  /** 0 for the execution that started the run. */
  round: number;
  /** The round's phase (from Plan): copy or verify; undefined if Plan failed. */
  phase?: 'copy' | 'verify';
  /** The phase's units (the Map's items). */
  unitIds: string[];
  /** Step Functions history events of this execution (see HistoryCounter). */
  events: number;
  /** Its Distributed Map's child executions, one per unit. */
  children: (ChildHistory & { unitId: string; slices: number; outcome: string })[];
  status?: 'SUCCEEDED' | 'FAILED';
}

/** One Copy or Verify invocation. */
export interface SliceTrace {
  execution: string;
  phase: 'copy' | 'verify';
  unitId: string;
  slice: number;
  /** Keys copied (copy) or compared (verify) in this slice. */
  keys: number;
  /** The unit's total so far, and its cursor after the slice (from DynamoDB). */
  total: number;
  cursor: string;
  done: boolean;
  ms: number;
}

export interface RunTrace {
  executions: ExecutionTrace[];
  slices: SliceTrace[];
  /** Lambda invocations per Task state. */
  invocations: Map<string, number>;
  /** States entered, child executions included: what Step Functions bills (state transitions). */
  transitions: number;
}

export function emptyTrace(): RunTrace {
  return { executions: [], slices: [], invocations: new Map(), transitions: 0 };
}
