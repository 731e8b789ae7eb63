import {
  CfnOutput,
  type Duration,
  aws_ec2 as ec2,
  Fn,
  type RemovalPolicy,
  Stack,
  type StackProps,
  aws_scheduler as scheduler,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  TimeZone,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../src/cloud/deploy-names.js';
import type { ScheduledExecutionInput, ScheduleMode } from './constructs/migration-schedule.js';
import { RedisMigrator } from './constructs/redis-migrator.js';

/** Plain settings (from cdk.json context or a test) that the stack turns into RedisMigrator props. */
export interface MigratorStackSettings {
  /** Complete ARNs of the secrets holding Redis passwords. */
  readonly secretArns?: string[];
  /** Names of such secrets (any version suffix). */
  readonly secretNames?: string[];
  /** An existing VPC to run in, by id, with the subnets and security groups to use. */
  readonly vpcId?: string;
  readonly subnetIds?: string[];
  readonly securityGroupIds?: string[];
  readonly memorySize?: number;
  readonly timeout?: Duration;
  readonly copyTimeBudget?: Duration;
  readonly verifyTimeBudget?: Duration;
  readonly maxConcurrency?: number;
  readonly maxSlicesPerUnitExecution?: number;
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** The bucket (and key prefix) RDB snapshots are restored from: plan, copy and verify may read there. */
  readonly rdbBucket?: string;
  readonly rdbPrefix?: string;
  /** Follow mode's timings (RedisMigratorProps). */
  readonly followTimeBudget?: Duration;
  readonly followHandoverLead?: Duration;
  readonly followHeartbeat?: Duration;
  readonly followPollInterval?: Duration;
  /** Scheduler expression ("cron(0 3 * * ? *)", "rate(1 day)") and the input each run gets. */
  readonly schedule?: { expression: string; timeZone?: string; input: ScheduledExecutionInput; enabled?: boolean; mode?: ScheduleMode };
  /** An existing SNS topic (ARN) the alarm on failed or timed-out executions notifies. */
  readonly alarmTopicArn?: string;
}

export interface MigratorStackProps extends StackProps {
  readonly settings?: MigratorStackSettings;
}

/** The deployable app: one RedisMigrator, wired to existing secrets and (optionally) a VPC by id. */
export class MigratorStack extends Stack {
  readonly migrator: RedisMigrator;

  constructor(scope: Construct, id: string, props: MigratorStackProps = {}) {
    super(scope, id, props);
    const s = props.settings ?? {};
    const secrets = [
      ...(s.secretArns ?? []).map((arn, i) => secretsmanager.Secret.fromSecretCompleteArn(this, `Secret${i}`, arn)),
      ...(s.secretNames ?? []).map((name, i) => secretsmanager.Secret.fromSecretNameV2(this, `SecretByName${i}`, name)),
    ];
    // By id, not by lookup: synth stays offline and needs no account.
    const vpc = s.vpcId ? ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: s.vpcId, availabilityZones: Fn.getAzs() }) : undefined;
    const subnets = s.subnetIds?.map((subnetId, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, subnetId));
    const securityGroups = s.securityGroupIds?.map((sg, i) => ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, sg));

    this.migrator = new RedisMigrator(this, 'RedisMigrator', {
      secrets,
      vpc,
      vpcSubnets: subnets ? { subnets } : undefined,
      securityGroups,
      memorySize: s.memorySize,
      timeout: s.timeout,
      copyTimeBudget: s.copyTimeBudget,
      verifyTimeBudget: s.verifyTimeBudget,
      maxConcurrency: s.maxConcurrency,
      maxSlicesPerUnitExecution: s.maxSlicesPerUnitExecution,
      tableRemovalPolicy: s.tableRemovalPolicy,
      alarmTopic: s.alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', s.alarmTopicArn) : undefined,
      rdbSource: s.rdbBucket ? { bucketName: s.rdbBucket, prefix: s.rdbPrefix } : undefined,
      followTimeBudget: s.followTimeBudget,
      followHandoverLead: s.followHandoverLead,
      followHeartbeat: s.followHeartbeat,
      followPollInterval: s.followPollInterval,
      schedule: s.schedule && {
        expression: scheduler.ScheduleExpression.expression(
          s.schedule.expression,
          s.schedule.timeZone ? TimeZone.of(s.schedule.timeZone) : undefined,
        ),
        input: s.schedule.input,
        enabled: s.schedule.enabled,
        mode: s.schedule.mode,
      },
    });
    // What `redis-ferry start --state-machine` and `redis-ferry status --table` need.
    new CfnOutput(this, 'StateMachineArn', { value: this.migrator.stateMachine.stateMachineArn });
    new CfnOutput(this, 'CheckpointTableName', { value: this.migrator.table.tableName });
    // Where to look while it runs, and what fires when it fails.
    new CfnOutput(this, 'DashboardName', { value: this.migrator.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'ExecutionsAlarmName', { value: this.migrator.monitoring.executionsAlarm.alarmName });
    new CfnOutput(this, 'MetricsNamespace', { value: METRICS_NAMESPACE });
  }
}
