import { Duration, aws_scheduler as scheduler, type aws_stepfunctions as sfn, aws_scheduler_targets as targets } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The execution input a schedule passes, minus the id: each run gets a new one from its time. */
export interface ScheduledExecutionInput {
  /** The cloud config: a migration config with `passwordSecretArn` in place of each password. */
  readonly config: Record<string, unknown>;
  /** Prefix of each run's migration id ("<prefix>-<UTC time>"). @default "scheduled" */
  readonly migrationIdPrefix?: string;
}

export interface MigrationScheduleOptions {
  /** When to run, e.g. ScheduleExpression.cron({ hour: '3', minute: '0' }). */
  readonly expression: scheduler.ScheduleExpression;
  readonly input: ScheduledExecutionInput;
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
 * migration id per run. The scheduler's role may start this state machine only.
 */
export class MigrationSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: MigrationScheduleProps) {
    super(scope, id);
    const input = {
      ...(props.input.migrationIdPrefix ? { migrationIdPrefix: props.input.migrationIdPrefix } : {}),
      scheduledTime: scheduler.ContextAttribute.scheduledTime,
      config: props.input.config,
    };
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.expression,
      description: props.description ?? 'redis-ferry scheduled migration',
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
