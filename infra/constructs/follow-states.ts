import { Duration, type aws_lambda as lambda, aws_stepfunctions as sfn, aws_stepfunctions_tasks as tasks } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { addRetriers, COPY_RETRIERS } from './retry-policy.js';

/** Names of the follow phase's states (docs/serverless.md, "Follow phase"). */
export const FOLLOW_STATE = {
  entry: 'Entry?',
  startLanes: 'StartLanes',
  startLane: 'StartLane',
  laneStarted: 'LaneStarted',
  followWait: 'FollowWait',
  countPoll: 'CountFollowPoll',
  follow: 'Follow',
  laneLoop: 'LaneDone?',
  laneWait: 'LaneWait',
  laneDone: 'LaneDone',
  nextLaneRound: 'NextLaneRound',
  laneContinued: 'LaneContinuedAsNew',
  laneFailed: 'LaneFailed',
} as const;

export interface FollowStatesProps {
  readonly follow: lambda.IFunction;
  /** This state machine: lanes are executions of it, started with a `lane` input. */
  readonly self: sfn.IStateMachine;
  /** Follow invocations one lane execution runs before it continues as a new execution. */
  readonly maxSlicesPerLane: number;
  /** How often the run's execution checks whether every unit is cut over. */
  readonly pollInterval: Duration;
  /** Polls one execution makes before the run continues in a new round (the history bound). */
  readonly maxPolls: number;
}

/**
 * The lane loop, a separate execution per unit and lane (input `{migrationId, runId, unitId, lane,
 * laneRound}`): Follow → LaneDone? → LaneWait (until the result's `wakeAt`) → Follow …; after
 * `maxSlicesPerLane` invocations it starts its own next execution and ends, while the other lane
 * holds the unit, so no hand-over ever waits on an execution boundary.
 */
export function laneLoop(scope: Construct, props: FollowStatesProps): sfn.IChainable {
  const failed = new sfn.Fail(scope, FOLLOW_STATE.laneFailed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const follow = new tasks.LambdaInvoke(scope, FOLLOW_STATE.follow, {
    lambdaFunction: props.follow,
    payload: sfn.TaskInput.fromJsonPathAt('$'),
    retryOnServiceExceptions: false,
    outputPath: '$.Payload',
  });
  addRetriers(follow, COPY_RETRIERS);
  follow.addCatch(failed, { resultPath: '$.error' });
  const continued = new sfn.Succeed(scope, FOLLOW_STATE.laneContinued, { comment: 'The lane goes on in its next execution.' });
  const next = new tasks.StepFunctionsStartExecution(scope, FOLLOW_STATE.nextLaneRound, {
    stateMachine: props.self,
    integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    name: sfn.JsonPath.stringAt('$.nextLaneName'),
    input: sfn.TaskInput.fromObject({
      migrationId: sfn.JsonPath.stringAt('$.migrationId'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      unitId: sfn.JsonPath.stringAt('$.unitId'),
      lane: sfn.JsonPath.stringAt('$.lane'),
      laneRound: sfn.JsonPath.numberAt('$.nextLaneRound'),
      slices: 0,
    }),
    associateWithParent: true,
    resultPath: sfn.JsonPath.DISCARD,
  });
  next.addRetry({ errors: ['StepFunctions.ExecutionAlreadyExistsException'], maxAttempts: 0 });
  next.addRetry({
    errors: ['States.TaskFailed'],
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  next.addCatch(continued, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: sfn.JsonPath.DISCARD });
  next.addCatch(failed, { resultPath: '$.error' });
  const wait = new sfn.Wait(scope, FOLLOW_STATE.laneWait, { time: sfn.WaitTime.timestampPath('$.wakeAt') });
  const loop = new sfn.Choice(scope, FOLLOW_STATE.laneLoop)
    .when(sfn.Condition.booleanEquals('$.done', true), new sfn.Succeed(scope, FOLLOW_STATE.laneDone))
    .when(sfn.Condition.numberGreaterThanEquals('$.slices', props.maxSlicesPerLane), next.next(continued))
    .otherwise(wait.next(follow));
  return follow.next(loop);
}

/**
 * The run's side of the follow phase: start both lanes of every followed unit (an inline Map of
 * StartExecution; a lane already started counts as started), then wait and count the poll before
 * each Report. `report`'s Finished? Choice comes back to `wait` while units are followed.
 */
export function startLanes(scope: Construct, props: FollowStatesProps): { start: sfn.IChainable; wait: sfn.Wait; last: sfn.Pass } {
  const started = new sfn.Pass(scope, FOLLOW_STATE.laneStarted);
  const startLane = new tasks.StepFunctionsStartExecution(scope, FOLLOW_STATE.startLane, {
    stateMachine: props.self,
    integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
    name: sfn.JsonPath.stringAt('$.name'),
    input: sfn.TaskInput.fromObject({
      migrationId: sfn.JsonPath.stringAt('$.migrationId'),
      runId: sfn.JsonPath.stringAt('$.runId'),
      unitId: sfn.JsonPath.stringAt('$.unitId'),
      lane: sfn.JsonPath.stringAt('$.lane'),
      laneRound: 0,
      slices: 0,
    }),
    associateWithParent: true,
    resultPath: sfn.JsonPath.DISCARD,
  });
  startLane.addRetry({ errors: ['StepFunctions.ExecutionAlreadyExistsException'], maxAttempts: 0 });
  startLane.addRetry({
    errors: ['States.TaskFailed'],
    interval: Duration.seconds(2),
    maxAttempts: 6,
    backoffRate: 2,
    jitterStrategy: sfn.JitterType.FULL,
  });
  startLane.addCatch(started, { errors: ['StepFunctions.ExecutionAlreadyExistsException'], resultPath: sfn.JsonPath.DISCARD });
  const map = new sfn.Map(scope, FOLLOW_STATE.startLanes, { itemsPath: '$.lanes', maxConcurrency: 10, resultPath: sfn.JsonPath.DISCARD });
  map.itemProcessor(startLane.next(started));
  const wait = new sfn.Wait(scope, FOLLOW_STATE.followWait, { time: sfn.WaitTime.duration(props.pollInterval) });
  const count = new sfn.Pass(scope, FOLLOW_STATE.countPoll, {
    parameters: { polls: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.follow.polls'), 1) },
    resultPath: '$.follow',
  });
  return { start: map.next(wait).next(count), wait, last: count };
}
