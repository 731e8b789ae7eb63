import {
  Duration,
  type aws_dynamodb as dynamodb,
  type aws_ec2 as ec2,
  type aws_iam as iam,
  aws_logs as logs,
  RemovalPolicy,
  type aws_secretsmanager as secretsmanager,
  type aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LAMBDA_ENV } from '../../src/cloud/deploy-names.js';
import { CheckpointTable } from './checkpoint-table.js';
import { MigrationSchedule, type MigrationScheduleOptions } from './migration-schedule.js';
import { MigrationStateMachine } from './migration-state-machine.js';
import { MigratorFunction } from './migrator-function.js';
import { acknowledgeMigratorFindings } from './nag-acknowledgments.js';
import { validateMigratorProps } from './redis-migrator-props.js';

export interface RedisMigratorProps {
  /**
   * Secrets holding the Redis passwords (referenced by ARN in the execution input). Only the plan,
   * copy and verify functions may read them, and only these.
   * @default - no secrets: for Redis servers without AUTH
   */
  readonly secrets?: secretsmanager.ISecret[];
  /**
   * VPC to run the functions in, to reach ElastiCache/MemoryDB or self-managed Redis. The subnets
   * need a route to DynamoDB and Secrets Manager (NAT, or VPC endpoints).
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new security group with all outbound traffic allowed */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Memory of the copy function (and the plan function, which discovers both sides). @default 1024 */
  readonly memorySize?: number;
  /** Timeout of the copy function; each invocation copies until shortly before it. @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /**
   * Optional cap on each copy invocation's copying time (shorter slices, more frequent checkpoints of progress).
   * @default - until the safety margin before the timeout
   */
  readonly copyTimeBudget?: Duration;
  /** Optional cap on each verify invocation's comparing time. @default - until the safety margin before the timeout */
  readonly verifyTimeBudget?: Duration;
  /** Units (shards × dbs) copied at once. @default 8 */
  readonly maxConcurrency?: number;
  /**
   * Copy slices per unit per execution before the run continues in a new execution; bounds the
   * execution history (see docs/serverless.md). @default 300
   */
  readonly maxSlicesPerUnitExecution?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /** Retention of the functions' and the state machine's logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** How long a finished migration's checkpoints are kept (DynamoDB TTL); zero keeps them. @default Duration.days(30) */
  readonly checkpointRetention?: Duration;
  /** Run a migration on a schedule, each run a new migration id derived from its time. @default - none */
  readonly schedule?: MigrationScheduleOptions;
  /**
   * Follow mode: optional cap on how long one follower invocation holds its unit before handing over.
   * @default - the timeout less two leads and the margin
   */
  readonly followTimeBudget?: Duration;
  /** Follow mode: how early the next follower invocation subscribes before the holder hands over. @default Duration.seconds(60) */
  readonly followHandoverLead?: Duration;
  /** Follow mode: how often a holding follower renews its lease, stores progress, reads the cutover flag. @default Duration.seconds(2) */
  readonly followHeartbeat?: Duration;
  /** Follow mode: how often the run checks whether every unit is cut over. @default Duration.seconds(60) */
  readonly followPollInterval?: Duration;
}

/** Defaults in one place (STYLE.md §2). */
export const MIGRATOR_DEFAULTS = {
  memorySize: 1024,
  timeout: Duration.minutes(15),
  maxConcurrency: 8,
  maxSlicesPerUnitExecution: 300,
  logRetention: logs.RetentionDays.ONE_MONTH,
  checkpointRetention: Duration.days(30),
} as const;

/**
 * The serverless migrator: a checkpoint table, five Lambda functions (plan, copy, verify, report,
 * record-failure), the Step Functions workflow that drives them, and optionally a schedule.
 * Every function gets only the table actions it uses, and only plan, copy and verify read the
 * secrets.
 */
export class RedisMigrator extends Construct {
  readonly table: dynamodb.Table;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: {
    plan: MigratorFunction;
    copy: MigratorFunction;
    verify: MigratorFunction;
    report: MigratorFunction;
    recordFailure: MigratorFunction;
    follow: MigratorFunction;
  };
  readonly schedule?: MigrationSchedule;

  constructor(scope: Construct, id: string, props: RedisMigratorProps = {}) {
    super(scope, id);
    validateMigratorProps(props);
    const d = MIGRATOR_DEFAULTS;
    const timeout = props.timeout ?? d.timeout;
    const memorySize = props.memorySize ?? d.memorySize;
    const maxConcurrency = props.maxConcurrency ?? d.maxConcurrency;
    const logRetention = props.logRetention ?? d.logRetention;
    const logRemovalPolicy = RemovalPolicy.DESTROY;

    this.table = new CheckpointTable(this, 'Checkpoints', { removalPolicy: props.tableRemovalPolicy }).table;

    // A unit's lease outlives the longest invocation; a run's claim outlives a slice plus its retries.
    const timeoutMs = timeout.toMilliseconds();
    const common: Record<string, string> = {
      [LAMBDA_ENV.tableName]: this.table.tableName,
      [LAMBDA_ENV.leaseMs]: String(timeoutMs + 60_000),
      [LAMBDA_ENV.claimTtlMs]: String(2 * timeoutMs + 5 * 60_000),
      [LAMBDA_ENV.retentionDays]: String((props.checkpointRetention ?? d.checkpointRetention).toDays({ integral: false })),
      POWERTOOLS_SERVICE_NAME: 'redis-ferry',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    const network = { vpc: props.vpc, vpcSubnets: props.vpcSubnets, securityGroups: props.securityGroups };
    const base = { logRetention, logRemovalPolicy };

    const plan = new MigratorFunction(this, 'Plan', {
      ...base,
      ...network,
      entry: 'plan.ts',
      description: 'plan: validate input, discover units, create or resume the plan',
      memorySize,
      timeout: Duration.minutes(5),
      environment: common,
    });
    const copy = new MigratorFunction(this, 'Copy', {
      ...base,
      ...network,
      entry: 'copy.ts',
      description: 'copy: one time-boxed slice of one unit',
      memorySize,
      timeout,
      environment: {
        ...common,
        [LAMBDA_ENV.maxConcurrency]: String(maxConcurrency),
        [LAMBDA_ENV.safetyMarginMs]: String(Math.min(60_000, Math.floor(timeoutMs / 4))),
        ...(props.copyTimeBudget ? { [LAMBDA_ENV.timeBudgetMs]: String(props.copyTimeBudget.toMilliseconds()) } : {}),
      },
    });
    // Verify reads both sides like copy, with the same time-boxed slices; it writes only its own progress.
    const verify = new MigratorFunction(this, 'Verify', {
      ...base,
      ...network,
      entry: 'verify.ts',
      description: "verify: one time-boxed slice of one unit's comparison",
      memorySize,
      timeout,
      environment: {
        ...common,
        [LAMBDA_ENV.safetyMarginMs]: String(Math.min(60_000, Math.floor(timeoutMs / 4))),
        ...(props.verifyTimeBudget ? { [LAMBDA_ENV.verifyTimeBudgetMs]: String(props.verifyTimeBudget.toMilliseconds()) } : {}),
      },
    });
    // Report and record-failure talk to DynamoDB only: no VPC, no secrets.
    const report = new MigratorFunction(this, 'Report', {
      ...base,
      entry: 'report.ts',
      description: 'report: sum counters, finish the migration',
      memorySize: 256,
      timeout: Duration.minutes(2),
      environment: common,
    });
    const recordFailure = new MigratorFunction(this, 'RecordFailure', {
      ...base,
      entry: 'record-failure.ts',
      description: 'record-failure: record a failure, give a readable cause',
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: common,
    });
    const follow = new MigratorFunction(this, 'Follow', {
      ...{ ...base, ...network, memorySize, timeout, entry: 'follow.ts' },
      description: "follow: one turn of a unit's follow lane (stand by, hold the unit, hand over)",
      environment: { ...common, ...followEnvironment(props, timeoutMs, maxConcurrency) },
    });
    this.functions = { plan, copy, verify, report, recordFailure, follow };

    this.grantAccess(props.secrets);

    const workflow = new MigrationStateMachine(this, 'Workflow', {
      functions: this.functions,
      maxConcurrency,
      maxSlicesPerUnitExecution: props.maxSlicesPerUnitExecution ?? d.maxSlicesPerUnitExecution,
      logRetention,
      ...{ logRemovalPolicy, followPollInterval: props.followPollInterval },
    });
    this.stateMachine = workflow.stateMachine;

    if (props.schedule) this.schedule = new MigrationSchedule(this, 'Schedule', { ...props.schedule, stateMachine: this.stateMachine });
    acknowledgeMigratorFindings(this, { inVpc: props.vpc !== undefined });
  }

  /** Least privilege: the item-level actions each function actually calls, on this table only. */
  private grantAccess(secrets: RedisMigratorProps['secrets']): void {
    const { plan, copy, verify, report, recordFailure, follow } = this.functions;
    const grantTable = (fn: MigratorFunction, actions: string[]) =>
      this.table.grant(fn.role as iam.IGrantable, ...actions.map((a) => `dynamodb:${a}`));
    grantTable(plan, ['GetItem', 'PutItem', 'UpdateItem', 'Query']);
    grantTable(copy, ['GetItem', 'UpdateItem']);
    grantTable(follow, ['GetItem', 'UpdateItem']);
    grantTable(verify, ['GetItem', 'UpdateItem']);
    grantTable(report, ['GetItem', 'UpdateItem', 'Query']);
    grantTable(recordFailure, ['GetItem', 'UpdateItem', 'Query']);
    for (const secret of secrets ?? []) {
      secret.grantRead(plan);
      secret.grantRead(copy);
      secret.grantRead(verify);
      secret.grantRead(follow);
    }
  }
}

/** The follow function's settings: the hand-over lead, the heartbeat, the optional hold budget. */
function followEnvironment(props: RedisMigratorProps, timeoutMs: number, maxConcurrency: number): Record<string, string> {
  return {
    [LAMBDA_ENV.maxConcurrency]: String(maxConcurrency),
    [LAMBDA_ENV.safetyMarginMs]: String(Math.min(60_000, Math.floor(timeoutMs / 4))),
    [LAMBDA_ENV.followLeadMs]: String((props.followHandoverLead ?? Duration.seconds(60)).toMilliseconds()),
    [LAMBDA_ENV.followTickMs]: String((props.followHeartbeat ?? Duration.seconds(2)).toMilliseconds()),
    ...(props.followTimeBudget ? { [LAMBDA_ENV.followTimeBudgetMs]: String(props.followTimeBudget.toMilliseconds()) } : {}),
  };
}
