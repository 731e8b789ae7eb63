import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { STATE } from '../../infra/constructs/migration-state-machine.js';
import { RedisMigrator } from '../../infra/constructs/redis-migrator.js';
import { HISTORY_LIMIT, LAMBDA_SERVICE_RETRY, maxSlicesWithinHistory, worstCaseChildEvents } from '../../infra/constructs/retry-policy.js';
import { buildStack, cleanupApps, definitionOf, SOURCE_SECRET, TARGET_SECRET } from './helpers.js';

after(cleanupApps);

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every policy statement attached to the role a function (matched by its description) runs as. */
function statementsOfFunction(template: Template, description: RegExp): Statement[] {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
    description.test(String(f.Properties.Description)),
  );
  assert.equal(fns.length, 1, `one function matching ${description}`);
  const roleId = (fns[0]!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (statements: Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('Construct: RedisMigrator', () => {
  it('creates an on-demand checkpoint table with pk/sk keys, a TTL, point-in-time recovery and AWS-managed encryption, retained by default', () => {
    const template = buildStack().template();
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([{ AttributeName: 'pk', AttributeType: 'S' }]),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key ARN: the AWS-managed KMS key (aws/dynamodb).
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const destroyable = buildStack({ tableRemovalPolicy: RemovalPolicy.DESTROY }).template();
    destroyable.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });

  it('runs six Node.js 22 arm64 functions (follow included) with their own log groups, whose logs expire', () => {
    const template = buildStack().template();
    template.resourceCountIs('AWS::Lambda::Function', 6);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
      Environment: { Variables: Match.objectLike({ TABLE_NAME: { Ref: Match.anyValue() }, NODE_OPTIONS: '--enable-source-maps' }) },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::Logs::LogGroup', 7);
  });

  it('bundles the handlers with esbuild into the cloud assembly, without Docker', () => {
    const { stack } = buildStack({}, { bundle: true });
    const fns = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    for (const fn of fns) {
      assert.equal(fn.Metadata?.['aws:asset:is-bundled'], true);
      assert.match(String(fn.Metadata?.['aws:asset:path']), /^asset\.[0-9a-f]{64}$/);
    }
  });

  it('gives the copy function the memory, timeout, concurrency and time budget asked for', () => {
    const template = buildStack({
      memorySize: 2048,
      timeout: Duration.minutes(10),
      maxConcurrency: 16,
      copyTimeBudget: Duration.minutes(2),
    }).template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('copy:'),
      MemorySize: 2048,
      Timeout: 600,
      Environment: {
        Variables: Match.objectLike({
          MAX_CONCURRENCY: '16',
          COPY_TIME_BUDGET_MS: '120000',
          LEASE_MS: '660000',
          CLAIM_TTL_MS: '1500000',
          COPY_SAFETY_MARGIN_MS: '60000',
        }),
      },
    });
    const definition = definitionOf(template);
    assert.equal(definition.States[STATE.units]!.MaxConcurrency, 16);
  });

  it('gives the verify function the same timeout and its own time budget, and refuses a budget that does not fit', () => {
    const template = buildStack({ timeout: Duration.minutes(10), verifyTimeBudget: Duration.minutes(3) }).template();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('verify:'),
      Timeout: 600,
      Environment: { Variables: Match.objectLike({ VERIFY_TIME_BUDGET_MS: '180000', COPY_SAFETY_MARGIN_MS: '60000' }) },
    });
    assert.throws(
      () => buildStack({ timeout: Duration.minutes(5), verifyTimeBudget: Duration.minutes(5) }),
      /verifyTimeBudget \(5 minutes\) must be shorter than the function timeout/,
    );
  });

  it('grants each function only the item actions it uses, on the checkpoint table only', () => {
    const template = buildStack().template();
    const tableArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('Checkpoints'), 'Arn'] };
    const expected: [RegExp, string[]][] = [
      [/plan:/, ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']],
      [/copy:/, ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
      [/verify:/, ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
      [/report:/, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']],
      [/record-failure:/, ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']],
    ];
    for (const [fn, allowed] of expected) {
      const statements = statementsOfFunction(template, fn);
      const dynamo = statements.filter((s) => actions([s]).some((a) => a.startsWith('dynamodb:')));
      assert.deepEqual(actions(dynamo).sort(), [...allowed].sort(), `${fn}`);
      for (const s of dynamo)
        Template.fromJSON({ Resources: { X: { Type: 'T', Properties: { R: s.Resource } } } }).hasResourceProperties('T', { R: [tableArn] });
      const logs = statements.filter((s) => actions([s]).some((a) => a.startsWith('logs:')));
      assert.deepEqual(actions(logs).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents'], 'writes its own log group only');
    }
    const everything = actions(
      Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]),
    );
    for (const broad of ['dynamodb:*', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchWriteItem', 'secretsmanager:*'])
      assert.ok(!everything.includes(broad), broad);
    template.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  it('lets only plan, copy and verify read the named secrets, and nothing else of Secrets Manager', () => {
    const template = buildStack({ secretArns: [SOURCE_SECRET, TARGET_SECRET] }).template();
    for (const fn of [/plan:/, /copy:/, /verify:/]) {
      const secretStatements = statementsOfFunction(template, fn).filter((s) => actions([s]).some((a) => a.startsWith('secretsmanager:')));
      assert.deepEqual(secretStatements.map((s) => s.Resource).sort(), [SOURCE_SECRET, TARGET_SECRET].sort(), `${fn}`);
      assert.deepEqual([...new Set(actions(secretStatements))].sort(), ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    }
    for (const fn of [/report:/, /record-failure:/]) {
      assert.ok(!actions(statementsOfFunction(template, fn)).some((a) => a.startsWith('secretsmanager:')), `${fn} reads no secrets`);
    }
  });

  it('loops Copy → Choice(done?) in a Distributed Map of standard child executions, with the AWS-recommended and jittered retriers', () => {
    const template = buildStack({ maxSlicesPerUnitExecution: 120 }).template();
    const { States: states } = definitionOf(template);
    assert.equal(states[STATE.plan]!.Next, STATE.phase);
    const phase = states[STATE.phase]! as { Choices: Record<string, unknown>[]; Default: string };
    assert.deepEqual(phase.Choices, [
      { Variable: '$.phase', StringEquals: 'verify', Next: STATE.verifyUnits },
      { Variable: '$.phase', StringEquals: 'follow', Next: STATE.startLanes },
    ]);
    assert.equal(phase.Default, STATE.units);
    const units = states[STATE.units]! as {
      ItemProcessor: { ProcessorConfig: unknown; StartAt: string; States: Record<string, Record<string, unknown>> };
    } & Record<string, unknown>;
    assert.deepEqual(units.ItemProcessor.ProcessorConfig, { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    assert.equal(units.ItemsPath, '$.unitIds');
    assert.equal((units.ItemSelector as Record<string, unknown>)['unitId.$'], '$$.Map.Item.Value');
    assert.equal(units.ResultPath, null, 'child results are not gathered into the parent state');
    assert.equal(units.Next, STATE.report);

    const child = units.ItemProcessor.States;
    assert.equal(units.ItemProcessor.StartAt, STATE.copy);
    const copy = child[STATE.copy]!;
    assert.equal(copy.Next, STATE.unitLoop);
    const retry = copy.Retry as Record<string, unknown>[];
    Template.fromJSON({ Resources: { X: { Type: 'T', Properties: { Retry: retry } } } }).hasResourceProperties('T', {
      Retry: Match.arrayWith([
        Match.objectLike({ ErrorEquals: LAMBDA_SERVICE_RETRY.errors, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }),
        Match.objectLike({ ErrorEquals: ['Lambda.TooManyRequestsException'], JitterStrategy: 'FULL', MaxDelaySeconds: Match.anyValue() }),
        Match.objectLike({ ErrorEquals: ['RetryableMigrationError'], JitterStrategy: 'FULL', BackoffRate: 2 }),
      ]),
    });
    assert.deepEqual(
      (copy.Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals, c.Next]),
      [[['States.ALL'], STATE.recordUnitFailure]],
    );
    assert.equal(child[STATE.recordUnitFailure]!.Next, STATE.unitFailed);
    assert.deepEqual(child[STATE.unitFailed], { Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' });

    const loop = child[STATE.unitLoop]! as { Choices: Record<string, unknown>[]; Default: string };
    assert.deepEqual(loop.Choices, [
      { Variable: '$.done', BooleanEquals: true, Next: STATE.unitDone },
      { Variable: '$.slices', NumericGreaterThanEquals: 120, Next: STATE.unitYield },
    ]);
    assert.equal(loop.Default, STATE.copy);

    // The verify phase: the same Map and loop shape around the verify function, the same retriers.
    const verifyUnits = states[STATE.verifyUnits]! as typeof units;
    assert.deepEqual(verifyUnits.ItemProcessor.ProcessorConfig, { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    assert.equal(verifyUnits.Next, STATE.report);
    const verifyChild = verifyUnits.ItemProcessor.States;
    assert.equal(verifyUnits.ItemProcessor.StartAt, STATE.verify);
    assert.deepEqual(verifyChild[STATE.verify]!.Retry, retry);
    assert.match(JSON.stringify(verifyChild[STATE.verify]!.Parameters), /Verify/);
    const verifyLoop = verifyChild[STATE.verifyLoop]! as { Choices: Record<string, unknown>[]; Default: string };
    assert.deepEqual(verifyLoop.Choices, [
      { Variable: '$.done', BooleanEquals: true, Next: STATE.verifyDone },
      { Variable: '$.slices', NumericGreaterThanEquals: 120, Next: STATE.verifyYield },
    ]);
    assert.equal(verifyLoop.Default, STATE.verify);
    assert.equal(verifyChild[STATE.recordVerifyFailure]!.Next, STATE.verifyFailed);
  });

  it('continues an unfinished run as a new execution named after the run, and fails with the recorded cause', () => {
    const { States: states } = definitionOf(buildStack().template());
    const finished = states[STATE.finished]! as { Choices: { Next: string }[]; Default: string };
    assert.equal(finished.Choices[0]!.Next, STATE.done);
    assert.equal(finished.Choices[1]!.Next, STATE.verificationFailed);
    assert.deepEqual(states[STATE.verificationFailed], { Type: 'Fail', Error: 'VerificationFailed', CausePath: '$.report.cause' });
    assert.equal(finished.Default, STATE.nextRound);
    const next = states[STATE.nextRound]! as Record<string, unknown> & { Parameters: Record<string, unknown> };
    assert.match(String(next.Resource), /:states:::states:startExecution$/);
    assert.equal(next.Parameters['Name.$'], '$.nextExecutionName');
    assert.match(String(next.Parameters.StateMachineArn), /:stateMachine:/);
    assert.deepEqual((next.Catch as { ErrorEquals: string[]; Next: string }[])[0], {
      ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'],
      ResultPath: null,
      Next: STATE.continued,
    });
    for (const state of [STATE.plan, STATE.units, STATE.verifyUnits, STATE.report]) {
      const catches = states[state]!.Catch as { ErrorEquals: string[]; Next: string }[];
      assert.ok(
        catches.some(
          (c) => c.ErrorEquals.includes('States.ALL') && [STATE.recordPlanFailure, STATE.recordRunFailure].includes(c.Next as never),
        ),
        state,
      );
    }
    assert.deepEqual(states[STATE.failed], { Type: 'Fail', ErrorPath: '$.error', CausePath: '$.cause' });
  });

  it('keeps every child execution under the 25,000-event history, and refuses a slice budget that would not', () => {
    assert.ok(worstCaseChildEvents(300) < HISTORY_LIMIT, `300 slices: ${worstCaseChildEvents(300)} events in the worst case`);
    assert.ok(worstCaseChildEvents(maxSlicesWithinHistory()) <= HISTORY_LIMIT);
    assert.ok(worstCaseChildEvents(maxSlicesWithinHistory() + 1) > HISTORY_LIMIT);
    assert.throws(() => buildStack({ maxSlicesPerUnitExecution: maxSlicesWithinHistory() + 1 }), /maxSlicesPerUnitExecution/);
  });

  it('logs every state machine event and traces it; the state machine may invoke only its functions and start only itself', () => {
    const template = buildStack().template();
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: Match.anyValue() },
    });
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
    const roleId = (sm.Properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const invoke = statements.filter((s) => actions([s]).includes('lambda:InvokeFunction'));
    assert.equal(invoke.length, 6);
    const starts = statements.filter((s) => actions([s]).includes('states:StartExecution'));
    assert.ok(
      starts.length >= 1 &&
        starts.every((s) => JSON.stringify(s.Resource).includes('stateMachine') || JSON.stringify(s.Resource).includes('StateMachine')),
      JSON.stringify(starts),
    );
  });

  it('runs the functions that reach Redis in the given VPC subnets and security groups', () => {
    const template = buildStack({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
      securityGroupIds: ['sg-0123456789abcdef0'],
    }).template();
    const inVpc = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) => f.Properties.VpcConfig);
    assert.deepEqual(inVpc.map((f) => String(f.Properties.Description).split(':')[0]).sort(), [
      'redis-ferry copy',
      'redis-ferry follow',
      'redis-ferry plan',
      'redis-ferry verify',
    ]);
    for (const f of inVpc)
      assert.deepEqual(f.Properties.VpcConfig, {
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      });
  });

  it('creates a schedule that starts the state machine with the input and the scheduled time', () => {
    const config = {
      source: { addresses: ['10.0.0.5:6379'], passwordSecretArn: SOURCE_SECRET },
      target: { addresses: ['10.0.1.7:6379'] },
      onExistingKey: 'replace',
    };
    const template = buildStack({
      schedule: { expression: 'cron(0 3 * * ? *)', timeZone: 'Europe/Paris', input: { config, migrationIdPrefix: 'nightly' } },
    }).template();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      State: 'ENABLED',
      Target: { Arn: { Ref: Match.stringLikeRegexp('StateMachine') }, Input: Match.anyValue(), RoleArn: Match.anyValue() },
    });
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0]!;
    const input = JSON.parse(String((schedule.Properties.Target as { Input: string }).Input));
    assert.deepEqual(input, { migrationIdPrefix: 'nightly', scheduledTime: '<aws.scheduler.scheduled-time>', config });
  });

  it('rejects bad props with every problem in one error', () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');
    assert.throws(
      () =>
        new RedisMigrator(stack, 'M', {
          memorySize: 64,
          maxConcurrency: 0,
          timeout: Duration.minutes(20),
          schedule: {
            expression: { expressionString: 'rate(1 day)', timeZone: undefined } as never,
            input: { config: { source: { addresses: ['h:1'], password: 'hunter2' }, target: { addresses: ['h:2'] } } },
          },
        }),
      (error: Error) => {
        for (const needle of ['memorySize', 'maxConcurrency', 'timeout', 'schedule.input.config.source.password'])
          assert.ok(error.message.includes(needle), `${needle} in ${error.message}`);
        assert.ok(!error.message.includes('hunter2'), 'the password is not echoed');
        return true;
      },
    );
  });
});
