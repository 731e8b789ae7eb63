import {
  Duration,
  type aws_lambda as lambda,
  aws_logs as logs,
  Names,
  type RemovalPolicy,
  aws_stepfunctions as sfn,
  aws_stepfunctions_tasks as tasks,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { VERIFICATION_FAILED } from '../../src/cloud/deploy-names.js';
import { FOLLOW_STATE, laneLoop, startLanes } from './follow-states.js';
import { addRetriers, BOOKKEEPING_RETRIERS, COPY_RETRIERS, PLAN_RETRIERS } from './retry-policy.js';

export interface MigratorFunctions {
  readonly plan: lambda.IFunction;
  readonly copy: lambda.IFunction;
  readonly verify: lambda.IFunction;
  readonly report: lambda.IFunction;
  readonly recordFailure: lambda.IFunction;
  /** Follow mode: one turn of a unit's follow lane. */
  readonly follow: lambda.IFunction;
}

export interface MigrationStateMachineProps {
  readonly functions: MigratorFunctions;
  /** Units copied at once (the Distributed Map's MaxConcurrency). */
  readonly maxConcurrency: number;
  /** Copy (or verify) slices one unit's child execution runs before the round ends (keeps its history bounded). */
  readonly maxSlicesPerUnitExecution: number;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Follow mode: how often the run checks whether every unit is cut over. @default 60 seconds */
  readonly followPollInterval?: Duration;
}

/** Follow polls one execution makes before it continues as a new round: 47 events each at worst (docs/serverless.md). */
export const MAX_FOLLOW_POLLS = 350;
/** Follow invocations per lane execution: 9 events each, 66 in the worst case (docs/serverless.md). */
export const MAX_SLICES_PER_LANE = 300;

/** Names of the states, shared with tests and docs. */
export const STATE = {
  plan: 'Plan',
  phase: 'Phase?',
  units: 'Units',
  copy: 'Copy',
  unitLoop: 'UnitDone?',
  unitDone: 'UnitDone',
  unitYield: 'UnitSliceBudgetUsed',
  recordUnitFailure: 'RecordUnitFailure',
  unitFailed: 'UnitFailed',
  verifyUnits: 'VerifyUnits',
  verify: 'Verify',
  verifyLoop: 'VerifyDone?',
  verifyDone: 'VerifyUnitDone',
  verifyYield: 'VerifySliceBudgetUsed',
  recordVerifyFailure: 'RecordVerifyFailure',
  verifyFailed: 'UnitVerifyFailed',
  report: 'Report',
  finished: 'Finished?',
  done: 'MigrationDone',
  verificationFailed: 'VerificationFailed',
  nextRound: 'NextRound',
  continued: 'ContinuedAsNew',
  recordPlanFailure: 'RecordPlanFailure',
  recordRunFailure: 'RecordRunFailure',
  failed: 'MigrationFailed',
  ...FOLLOW_STATE,
} as const;

/**
 * Plan → Choice(phase?) → Distributed Map over units, each unit a child execution looping
 * Copy → Choice(done?) → Copy … (the copy phase) or Verify → Choice(done?) → Verify … (the verify
 * phase, once every unit is copied) → Report → Choice(finished?) → done, VerificationFailed, or
 * NextRound: the run restarts as a new execution with the same migration id. Plan picks one phase
 * per round. Child executions have their own history, and a child stops after
 * `maxSlicesPerUnitExecution` slices, so no execution nears the 25,000-event limit whatever the data
 * size or unit count. Catches record failures on the unit and the migration, then fail the
 * execution with a readable cause.
 */
export class MigrationStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: MigrationStateMachineProps) {
    super(scope, id);
    const { functions } = props;
    // A fixed name lets the state machine start its own next round without a circular reference.
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80 });
    const self = sfn.StateMachine.fromStateMachineName(this, 'Self', stateMachineName);

    const failed = new sfn.Fail(this, STATE.failed, { errorPath: '$.error', causePath: '$.cause' });
    const recordRunFailure = this.invoke(STATE.recordRunFailure, functions.recordFailure, {
      scope: 'run',
      migrationId: sfn.JsonPath.stringAt('$.migrationId'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      error: sfn.JsonPath.objectAt('$.error'),
    }).next(failed);
    const recordPlanFailure = this.invoke(STATE.recordPlanFailure, functions.recordFailure, {
      scope: 'plan',
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      input: sfn.JsonPath.entirePayload,
      error: sfn.JsonPath.objectAt('$.error'),
    }).next(failed);

    const plan = this.invoke(STATE.plan, functions.plan, {
      executionName: sfn.JsonPath.stringAt('$$.Execution.Name'),
      input: sfn.JsonPath.entirePayload,
    });
    addRetriers(plan, PLAN_RETRIERS);
    plan.addCatch(recordPlanFailure, { resultPath: '$.error' });

    const units = this.unitsMap(STATE.units, props, this.unitLoop(props, 'copy'));
    units.addCatch(recordRunFailure, { resultPath: '$.error' });
    const verifyUnits = this.unitsMap(STATE.verifyUnits, props, this.unitLoop(props, 'verify'));
    verifyUnits.addCatch(recordRunFailure, { resultPath: '$.error' });

    const report = this.reportTask(functions.report);
    addRetriers(report, BOOKKEEPING_RETRIERS);
    report.addCatch(recordRunFailure, { resultPath: '$.error' });

    const continued = new sfn.Succeed(this, STATE.continued, { comment: "The run goes on in the next round's execution." });
    const nextRound = this.nextRoundTask(self);
    nextRound.addRetry({ errors: ['StepFunctions.ExecutionAlreadyExistsException'], maxAttempts: 0 });
    nextRound.addRetry({
      errors: ['States.TaskFailed'],
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    nextRound.addCatch(continued, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: sfn.JsonPath.DISCARD });
    nextRound.addCatch(recordRunFailure, { resultPath: '$.error' });

    // The report already marked the migration failed and stored the verify result; this only ends the execution.
    const verificationFailed = new sfn.Fail(this, STATE.verificationFailed, { error: VERIFICATION_FAILED, causePath: '$.report.cause' });
    const finished = new sfn.Choice(this, STATE.finished)
      .when(sfn.Condition.booleanEquals('$.report.finished', true), new sfn.Succeed(this, STATE.done, { outputPath: '$.report.summary' }))
      .when(sfn.Condition.booleanEquals('$.report.verificationFailed', true), verificationFailed)
      .otherwise(nextRound.next(continued));
    units.next(report);
    verifyUnits.next(report);
    report.next(finished);
    const phase = new sfn.Choice(this, STATE.phase).when(sfn.Condition.stringEquals('$.phase', 'verify'), verifyUnits).otherwise(units);
    // Follow mode (docs/serverless.md): lanes are executions of this machine, told apart by their input.
    const followProps = {
      follow: functions.follow,
      self,
      maxSlicesPerLane: Math.min(MAX_SLICES_PER_LANE, props.maxSlicesPerUnitExecution),
      pollInterval: props.followPollInterval ?? Duration.seconds(60),
      maxPolls: MAX_FOLLOW_POLLS,
    };
    const following = startLanes(this, followProps);
    following.last.next(report);
    phase.when(sfn.Condition.stringEquals('$.phase', 'follow'), following.start);
    finished.when(
      sfn.Condition.and(
        sfn.Condition.numberGreaterThan('$.report.following', 0),
        sfn.Condition.numberLessThan('$.follow.polls', MAX_FOLLOW_POLLS),
      ),
      following.wait,
    );
    plan.next(phase);
    const entry = new sfn.Choice(this, STATE.entry).when(sfn.Condition.isPresent('$.lane'), laneLoop(this, followProps)).otherwise(plan);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      comment: 'redis-ferry: copies Redis data with SCAN + DUMP + RESTORE in resumable Lambda slices',
      definitionBody: sfn.DefinitionBody.fromChainable(entry),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      // The state holds ids and counters only (never configs or passwords), so full logging is safe.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
  }

  /** Reads the round's outcome: finished, failed verification, or units still pending. */
  private reportTask(fn: MigrationStateMachineProps['functions']['report']): tasks.LambdaInvoke {
    return new tasks.LambdaInvoke(this, STATE.report, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject({
        migrationId: sfn.JsonPath.stringAt('$.migrationId'),
        runId: sfn.JsonPath.stringAt('$.runId'),
        round: sfn.JsonPath.numberAt('$.round'),
      }),
      retryOnServiceExceptions: false,
      resultSelector: {
        finished: sfn.JsonPath.objectAt('$.Payload.finished'),
        pendingUnits: sfn.JsonPath.numberAt('$.Payload.pendingUnits'),
        pendingVerify: sfn.JsonPath.numberAt('$.Payload.pendingVerify'),
        following: sfn.JsonPath.numberAt('$.Payload.following'),
        verificationFailed: sfn.JsonPath.objectAt('$.Payload.verificationFailed'),
        cause: sfn.JsonPath.objectAt('$.Payload.cause'),
        summary: sfn.JsonPath.objectAt('$.Payload.summary'),
      },
      resultPath: '$.report',
    });
  }

  /** Starts the next round as a fresh execution, so no execution's history grows without bound. */
  private nextRoundTask(self: sfn.IStateMachine): tasks.StepFunctionsStartExecution {
    return new tasks.StepFunctionsStartExecution(this, STATE.nextRound, {
      stateMachine: self,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      // Derived from the run: a retried or redriven hand-off finds the round already started.
      name: sfn.JsonPath.stringAt('$.nextExecutionName'),
      input: sfn.TaskInput.fromObject({
        migrationId: sfn.JsonPath.stringAt('$.migrationId'),
        runId: sfn.JsonPath.stringAt('$.runId'),
        round: sfn.JsonPath.numberAt('$.nextRound'),
      }),
      associateWithParent: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  /** A Distributed Map of standard child executions, one per unit id of the round's phase. */
  private unitsMap(id: string, props: MigrationStateMachineProps, processor: sfn.IChainable): sfn.DistributedMap {
    const map = new sfn.DistributedMap(this, id, {
      itemsPath: '$.unitIds',
      itemSelector: {
        migrationId: sfn.JsonPath.stringAt('$.migrationId'),
        runId: sfn.JsonPath.stringAt('$.runId'),
        unitId: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
        slices: 0,
      },
      maxConcurrency: props.maxConcurrency,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      toleratedFailurePercentage: 0,
      label: id,
      resultPath: sfn.JsonPath.DISCARD,
    });
    map.itemProcessor(processor);
    return map;
  }

  /**
   * One unit's child execution: Copy (or Verify) → Choice(done?) → again …, bounded by the slice
   * budget. Both phases have the same shape, retriers and slice budget: the same history bound.
   */
  private unitLoop(props: MigrationStateMachineProps, phase: 'copy' | 'verify'): sfn.IChainable {
    const names =
      phase === 'copy'
        ? {
            task: STATE.copy,
            loop: STATE.unitLoop,
            done: STATE.unitDone,
            yield: STATE.unitYield,
            record: STATE.recordUnitFailure,
            failed: STATE.unitFailed,
          }
        : {
            task: STATE.verify,
            loop: STATE.verifyLoop,
            done: STATE.verifyDone,
            yield: STATE.verifyYield,
            record: STATE.recordVerifyFailure,
            failed: STATE.verifyFailed,
          };
    const unitFailed = new sfn.Fail(this, names.failed, { errorPath: '$.error', causePath: '$.cause' });
    const recordUnitFailure = this.invoke(names.record, props.functions.recordFailure, {
      scope: phase === 'copy' ? 'unit' : 'verify',
      migrationId: sfn.JsonPath.stringAt('$.migrationId'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      unitId: sfn.JsonPath.stringAt('$.unitId'),
      error: sfn.JsonPath.objectAt('$.error'),
    });

    const slice = new tasks.LambdaInvoke(this, names.task, {
      lambdaFunction: phase === 'copy' ? props.functions.copy : props.functions.verify,
      payload: sfn.TaskInput.fromJsonPathAt('$'),
      retryOnServiceExceptions: false,
      outputPath: '$.Payload',
    });
    addRetriers(slice, COPY_RETRIERS);
    slice.addCatch(recordUnitFailure.next(unitFailed), { resultPath: '$.error' });

    const loop = new sfn.Choice(this, names.loop)
      .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(this, names.done))
      .when(
        sfn.Condition.numberGreaterThanEquals('$.slices', props.maxSlicesPerUnitExecution),
        new sfn.Succeed(this, names.yield, { comment: 'Slice budget of this child execution used; the next round continues the unit.' }),
      )
      .otherwise(slice);
    return slice.next(loop);
  }

  /** A bookkeeping Lambda task whose state output is the function's return value. */
  private invoke(id: string, fn: lambda.IFunction, payload: Record<string, unknown>): tasks.LambdaInvoke {
    const task = new tasks.LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload: sfn.TaskInput.fromObject(payload),
      retryOnServiceExceptions: false,
      outputPath: '$.Payload',
    });
    if (id !== STATE.plan) addRetriers(task, BOOKKEEPING_RETRIERS);
    return task;
  }
}
