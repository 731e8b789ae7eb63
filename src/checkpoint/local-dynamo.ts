import type { AddressInfo } from 'node:net';
import { type AttributeDefinition, CreateTableCommand, DynamoDBClient, type KeySchemaElement } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, SORT_KEY } from './table-keys.js';

/**
 * DynamoDB's API served in-process by dynalite on loopback: real requests, real conditions. The
 * tests and `redis-ferry rehearse` keep checkpoints here; nothing is written to disk.
 */
export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  createTable(name: string, keys?: { keySchema: KeySchemaElement[]; attributes: AttributeDefinition[] }): Promise<void>;
  stop(): Promise<void>;
}

/** Credentials and region the SDK needs to sign requests; dynalite ignores their values. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
} as const;

/** The table layout of infra/constructs/checkpoint-table.ts. */
export const CHECKPOINT_TABLE_KEYS = {
  keySchema: [
    { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
    { AttributeName: SORT_KEY, KeyType: 'RANGE' },
  ] as KeySchemaElement[],
  attributes: [
    { AttributeName: PARTITION_KEY, AttributeType: 'S' },
    { AttributeName: SORT_KEY, AttributeType: 'S' },
  ] as AttributeDefinition[],
};

export async function startLocalDynamo(): Promise<LocalDynamo> {
  // Loaded on use: dynalite is a devDependency, and the published CLI bundle must start without it.
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    endpoint,
    client,
    async createTable(name, keys = CHECKPOINT_TABLE_KEYS) {
      // dynalite has no UpdateTimeToLive: the TTL attribute is just an attribute here.
      await client.send(
        new CreateTableCommand({
          TableName: name,
          KeySchema: keys.keySchema,
          AttributeDefinitions: keys.attributes,
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
