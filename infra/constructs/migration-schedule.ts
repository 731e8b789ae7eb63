import { Duration, aws_scheduler as scheduler, type aws_stepfunctions as sfn, aws_scheduler_targets as targets } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The execution input a schedule passes, minus the id: each run gets a new one from its time. */
export interface ScheduledExecutionInput {
  /** The cloud config: a migration config with `passwordSecretArn` in place of each password. */
  readonly config: Record<string, unknown>;
  /** Prefix of each run's migration id ("<prefix>-<UTC time>"). @default "scheduled" */
  readonly migrationIdPrefix?: string;
}

/**
 * What each scheduled run does (docs/serverless.md, "Scheduled runs"):
 * - `copy`: a fresh full copy (RESTORE every key; into a non-empty target only with onExistingKey
 *   "replace"), keys the source no longer has stay on the target;
 * - `reconcile`: compare every key and write only those that differ, then delete the target keys
 *   the source no longer has, so the same target ends identical to the source.
 */
export type ScheduleMode = 'copy' | 'reconcile';

export interface MigrationScheduleOptions {
  /** When to run, e.g. ScheduleExpression.cron({ hour: '3', minute: '0' }). */
  readonly expression: scheduler.ScheduleExpression;
  readonly input: ScheduledExecutionInput;
  /** @default 'copy' */
  readonly mode?: ScheduleMode;
  /** @default true */
  readonly enabled?: boolean;
  readonly description?: string;
}

export interface MigrationScheduleProps extends MigrationScheduleOptions {
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * An EventBridge Scheduler schedule that starts the state machine with the given input plus the
 * scheduled time (<aws.scheduler.scheduled-time>), from which the plan task derives a fresh
 * migration id per run, and `"reconcile": true` in reconcile mode. The scheduler's role may start this state machine only.
 */
export class MigrationSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: MigrationScheduleProps) {
    super(scope, id);
    const reconcile = props.mode === 'reconcile';
    const prefix = props.input.migrationIdPrefix ?? (reconcile ? 'reconcile' : undefined);
    const input = {
      ...(prefix ? { migrationIdPrefix: prefix } : {}),
      scheduledTime: scheduler.ContextAttribute.scheduledTime,
      ...(reconcile ? { reconcile: true } : {}),
      config: props.input.config,
    };
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.expression,
      description: props.description ?? (reconcile ? 'redis-ferry scheduled reconcile pass' : 'redis-ferry scheduled migration'),
      enabled: props.enabled ?? true,
      target: new targets.StepFunctionsStartExecution(props.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject(input),
        // A start that keeps failing is better reported than repeated all day; a duplicate start is
        // harmless (the second execution finds the migration claimed and stops).
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
