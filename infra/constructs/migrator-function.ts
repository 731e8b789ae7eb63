import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Duration,
  type aws_ec2 as ec2,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  type RemovalPolicy,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/** The repository root: entries, the lock file and esbuild are found from here. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface MigratorFunctionProps {
  /** File under lambdas/, e.g. "copy.ts". */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * One migrator Lambda: Node.js 22 on arm64, bundled by esbuild (no Docker) into one CommonJS file
 * with the AWS SDK inside (the version the code was tested with, not the runtime's), minified with
 * names kept and source maps on. Its role starts empty except for writing to its own log group;
 * callers grant the table actions and secrets it needs.
 */
export class MigratorFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: MigratorFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.logRemovalPolicy });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `redis-ferry ${props.description}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: join(REPO_ROOT, 'lambdas', props.entry),
      handler: 'handler',
      description: `redis-ferry ${props.description}`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: nodejs.OutputFormat.CJS,
        target: 'node22',
        minify: true,
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        externalModules: [],
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
    });
  }
}
