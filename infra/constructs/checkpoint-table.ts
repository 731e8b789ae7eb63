import { aws_dynamodb as dynamodb, RemovalPolicy } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE } from '../../src/checkpoint/table-keys.js';

export interface CheckpointTableProps {
  /**
   * What happens to the table (and every checkpoint in it) when the stack is deleted.
   * @default RemovalPolicy.RETAIN (with deletion protection on)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The checkpoint table (layout in src/checkpoint/dynamo-items.ts, names in table-keys.ts): string
 * pk/sk, on-demand capacity (a migration's write rate follows its Map concurrency, not a forecast),
 * point-in-time recovery, encryption with the AWS-managed key, and a TTL attribute that ages out
 * finished runs.
 */
export class CheckpointTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: CheckpointTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    });
  }
}
