import './promise-polyfill.js';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Context } from 'aws-lambda';
import type { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { ACCOUNT, REGION, type TemplateFunction, type TemplateMachine } from './template-machine.js';

type JsonInput = Parameters<StateMachine['run']>[0];
type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;
/** An event of aws-local-stepfunctions' log (its type is not exported by name). */
export type WorkflowEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

/** One Lambda invocation as the hooks see it. */
export interface Invocation {
  state: string;
  functionId: string;
  payload: Record<string, unknown>;
  /** 1-based count of invocations of this state so far, over every execution. */
  count: number;
}

/**
 * Runs the real handler; a hook may act around it (throw instead of returning, as Lambda does when
 * it loses the response; run it and walk away, leaving a "zombie"; disturb Redis midway).
 */
export type InvokeHook = (invocation: Invocation, call: () => Promise<unknown>) => Promise<unknown>;

/** Follows a run as it happens (the rehearsal's printer). */
export interface WorkflowObserver {
  executionStarted?(name: string, input: unknown): void;
  /** Every interpreter event, in order (states of Map iterations carry the iteration's `index`). */
  event?(execution: string, event: WorkflowEvent): void;
  /** A Lambda task is about to be invoked. */
  invoking?(invocation: Invocation): void;
  /** After a Lambda task returned, before the state machine goes on (so a read here sees its effect). */
  invoked?(invocation: Invocation, result: unknown, elapsedMs: number): Promise<void> | void;
  executionEnded?(record: ExecutionRecord): void;
}

export interface ExecutionRecord {
  name: string;
  input: unknown;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  /** The execution's error and cause (from its Fail state or the uncaught error). */
  error?: { name: string; cause: string };
  events: WorkflowEvent[];
  /** The execution this one started to continue the run (its next round). */
  continuedAs?: { name: string; input: unknown };
}

/**
 * Step Functions, locally: the synthesized definition run by aws-local-stepfunctions, whose Lambda
 * tasks call the esbuild bundles from the cloud assembly (not the TypeScript sources), each loaded
 * with its function's environment from the template, with a fake Lambda context honouring the
 * function's timeout. A run that hands over to its next round (a StartExecution of itself) is
 * continued as the service would: a new execution with that name and input.
 */
export class LocalWorkflow {
  readonly invocations: Invocation[] = [];
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly counts = new Map<string, number>();
  private readonly startedNames = new Set<string>();
  /** Follow lanes: executions started by the workflow itself that run beside the one that started them. */
  private readonly lanes: Promise<ExecutionRecord>[] = [];
  /** Every lane execution that ended, in order. */
  readonly laneRecords: ExecutionRecord[] = [];
  hook: InvokeHook | undefined;
  observer: WorkflowObserver | undefined;
  /** Keep each execution's events in its record (a long rehearsal keeps none). */
  keepEvents = true;

  constructor(
    readonly machine: TemplateMachine,
    /** Extra environment (endpoints, credentials) set before the bundles load. */
    awsEnv: Record<string, string>,
  ) {
    const require = createRequire(import.meta.url);
    for (const fn of machine.functions.values()) {
      // Handlers read their environment once, when the module loads, as in Lambda.
      Object.assign(process.env, awsEnv, fn.environment);
      this.handlers.set(fn.logicalId, (require(fn.bundle) as { handler: LambdaHandler }).handler);
    }
  }

  /** Starts an execution and follows its rounds; returns every execution of the chain. */
  async start(input: unknown, name: string): Promise<ExecutionRecord[]> {
    const chain: ExecutionRecord[] = [];
    let next: { name: string; input: unknown } | undefined = { name, input };
    while (next) {
      const record = await this.runOne(next.name, next.input);
      chain.push(record);
      next = record.status === 'SUCCEEDED' ? record.continuedAs : undefined;
    }
    await this.lanesEnded();
    return chain;
  }

  /** Waits until every lane execution started so far (and every one they started) has ended. */
  private async lanesEnded(): Promise<void> {
    for (let seen = 0; seen < this.lanes.length; seen = this.lanes.length) await Promise.all(this.lanes.slice(seen));
  }

  /** Starts a follow lane as the service would: a separate execution, running at once, its name used once. */
  private startLane(name: string, input: unknown): void {
    if (this.startedNames.has(name))
      throw Object.assign(new Error(`Execution Already Exists: ${name}`), { name: 'StepFunctions.ExecutionAlreadyExistsException' });
    this.lanes.push(
      this.runOne(name, input).then((record) => {
        this.laneRecords.push(record);
        return record;
      }),
    );
  }

  private async runOne(name: string, input: unknown): Promise<ExecutionRecord> {
    if (this.startedNames.has(name)) throw new Error(`execution name ${name} used twice`);
    this.startedNames.add(name);
    this.observer?.executionStarted?.(name, input);
    // Loaded on use: a devDependency, which the published CLI bundle must start without.
    const { StateMachine } = await import('aws-local-stepfunctions');
    const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${this.machine.stateMachineName}:${name}`;
    let continuedAs: { name: string; input: unknown } | undefined;
    const overrides: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const state of this.machine.startExecutionStates) {
      overrides[state] = async (params) => {
        const p = params as { Name: string; Input: unknown };
        if (isLaneInput(p.Input)) this.startLane(p.Name, p.Input);
        else continuedAs = { name: p.Name, input: p.Input };
        return { ExecutionArn: `${executionArn.replace(/:[^:]+$/, '')}:${p.Name}`, StartDate: new Date().toISOString() };
      };
    }
    for (const [state, functionId] of this.machine.lambdaStates) {
      overrides[state] = async (params) => ({
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: await this.invoke(state, functionId, (params as { Payload: Record<string, unknown> }).Payload),
      });
    }
    const execution = new StateMachine(this.machine.definition).run(input as JsonInput, {
      overrides: {
        taskResourceLocalHandlers: overrides as never,
        retryIntervalOverrides: Object.fromEntries(this.machine.taskStates.map((s) => [s, 0])),
      },
      context: {
        Execution: { Id: executionArn, Name: name, RedriveCount: 0 },
        StateMachine: { Id: this.machine.stateMachineArn, Name: this.machine.stateMachineName },
      },
    });
    const events: WorkflowEvent[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) {
        if (this.keepEvents) events.push(event);
        this.observer?.event?.(name, event);
      }
    })();
    let record: ExecutionRecord;
    try {
      const output = await execution.result;
      await collecting;
      record = { name, input, status: 'SUCCEEDED', output, events, continuedAs };
    } catch (error) {
      await collecting;
      const cause = (error as ExecutionError).cause as Error | undefined;
      const failure = { name: cause?.name ?? (error as Error).name, cause: cause?.message ?? String(error) };
      record = { name, input, status: 'FAILED', error: failure, events };
    }
    this.observer?.executionEnded?.(record);
    return record;
  }

  private async invoke(state: string, functionId: string, payload: Record<string, unknown>): Promise<unknown> {
    const fn = this.machine.functions.get(functionId)!;
    const handler = this.handlers.get(functionId)!;
    const count = (this.counts.get(state) ?? 0) + 1;
    this.counts.set(state, count);
    const invocation: Invocation = { state, functionId, payload, count };
    this.invocations.push(invocation);
    this.observer?.invoking?.(invocation);
    // Lambda hands the function a JSON copy of the event and returns a JSON copy of the result.
    const call = async () => JSON.parse(JSON.stringify((await handler(structuredClone(payload), lambdaContext(fn))) ?? null));
    const started = Date.now();
    const result = await (this.hook ? this.hook(invocation, call) : call());
    await this.observer?.invoked?.(invocation, result, Date.now() - started);
    return result;
  }
}

/** A follow lane's input names its lane (infra/constructs/follow-states.ts). */
function isLaneInput(input: unknown): boolean {
  return typeof input === 'object' && input !== null && typeof (input as { lane?: unknown }).lane === 'string';
}

/** A Lambda context whose remaining time counts down from the function's timeout. */
export function lambdaContext(fn: TemplateFunction): Context {
  const started = Date.now();
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.logicalId,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn.logicalId}`,
    memoryLimitInMB: String(fn.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${fn.logicalId}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, fn.timeoutSeconds * 1000 - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
