/**
 * The checkpoint table's key schema and TTL attribute: the CDK construct creates the table with
 * these names (infra/constructs/checkpoint-table.ts) and the stores write items with them (layout
 * in dynamo-items.ts). Constants only, so the CDK app loads no AWS SDK code to read them.
 */

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
/** Epoch seconds after which DynamoDB's TTL may delete a finished migration's items. */
export const TTL_ATTRIBUTE = 'expiresAt';
