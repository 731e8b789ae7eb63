import { type CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { STATE } from './migration-state-machine.js';
import type { RedisMigrator } from './redis-migrator.js';

/**
 * The cdk-nag AwsSolutions findings the migrator accepts, each on the narrowest scope, with why.
 * Everything else (table, schedule, function roles, state machine logging and tracing) passes as is.
 * IAM5 ids name the exact resource, so a new wildcard anywhere still fails the synth.
 */
export function acknowledgeMigratorFindings(migrator: RedisMigrator, options: { inVpc: boolean; rdbObjects?: string }): void {
  const stack = Stack.of(migrator);
  const logicalId = (construct: Construct) => stack.getLogicalId(construct.node.defaultChild as CfnResource);

  for (const fn of Object.values(migrator.functions)) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x, the runtime the esbuild bundle targets (node22) and is tested ' +
        'on; moving to a newer runtime is a deliberate, tested change rather than whatever ' +
        'is latest at synth time.',
    });
    if (options.inVpc) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'Lambda needs ec2:CreateNetworkInterface/DescribeNetworkInterfaces/DeleteNetworkInterface ' +
          "to attach to the VPC; AWS's managed policy is the documented, maintained set of " +
          'exactly those actions.',
      });
    }
  }

  if (options.rdbObjects !== undefined) acknowledgeRdbRead(migrator, options.rdbObjects);

  for (const fn of Object.values(migrator.functions)) {
    Validations.of(migrator.stateMachine.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId(fn)}.Arn>:*]`,
      reason:
        'Granted by LambdaInvoke: the function itself and its qualified versions/aliases ' +
        '(ARN:*). The wildcard covers qualifiers of this one function only.',
    });
  }
  Validations.of(migrator.stateMachine).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs ' +
      'delivery (CreateLogDelivery, …, DescribeLogGroups) support no resource-level permissions; ' +
      'Step Functions needs them on "*" for tracing and ALL-level logging.',
  });

  // The Distributed Map's policy: it starts child executions of this state machine and manages them.
  const stateMachineId = logicalId(migrator.stateMachine);
  // cdk-nag renders pseudo parameters as <AWS::X> and a stack's explicit env as literals.
  const pseudo = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  const arnPrefix =
    `arn:${pseudo(stack.partition, 'Partition')}:states:` + `${pseudo(stack.region, 'Region')}:${pseudo(stack.account, 'AccountId')}`;
  const executions = `${arnPrefix}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stateMachineId}"}]}]}`;
  Validations.of(migrator.stateMachine).acknowledge(
    {
      id: `AwsSolutions-IAM5[Resource::${executions}:*]`,
      reason:
        'Distributed Map: DescribeExecution/StopExecution on the child executions of this ' +
        'state machine only; their names are generated per Map Run, so they cannot be listed in advance.',
    },
    // One per Distributed Map state (copy phase, verify phase): the policy names each by its label.
    ...[STATE.units, STATE.verifyUnits].map((label) => ({
      id: `AwsSolutions-IAM5[Resource::${executions}/${label}:*]`,
      reason:
        `Distributed Map redrive: RedriveExecution on the child executions of this state ` +
        `machine's "${label}" Map Run only; names are generated per run.`,
    })),
  );
}

/** The object wildcard of the snapshot grant (RedisMigratorProps.rdbSource), on the three roles that have it. */
function acknowledgeRdbRead(migrator: RedisMigrator, objects: string): void {
  // cdk-nag renders the partition token as <AWS::Partition>, as in the other IAM5 ids.
  const resource = objects.replace(/^arn:[^:]*:/, Token.isUnresolved(Stack.of(migrator).partition) ? 'arn:<AWS::Partition>:' : '$&');
  const { plan, copy, verify } = migrator.functions;
  for (const fn of [plan, copy, verify]) {
    Validations.of(fn.role as unknown as Construct).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        'GetObject on the snapshot bucket under the configured prefix: the RDB files to restore are named per ' +
        'execution, so the grant covers the prefix, read-only, and nothing else of S3.',
    });
  }
}
