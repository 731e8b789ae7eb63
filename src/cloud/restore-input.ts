import { ConfigError } from '../core/errors.js';
import { parseRestoreConfig, type RestoreConfig, type RestoreConfigInput } from '../core/restore-config.js';
import { S3UriError } from '../rdb-s3/s3-errors.js';
import { parseS3Uri } from '../rdb-s3/s3-uri.js';
import { type SecretRefs, takeSecretRefs } from './secret-refs.js';

/**
 * A restore of an RDB snapshot kept in S3, as the state machine takes it:
 *
 *   { "config": { "rdb": { "s3Uri": "s3://backups/orders/dump.rdb" },
 *                 "target": { "addresses": ["10.0.1.7:6379"], "passwordSecretArn": "arn:…" }, … } }
 *
 * `rdb.s3Uri` stands where a copy has its source endpoint; the other options are a restore's
 * (RestoreConfigInput in src/core/restore-config.ts), with the target's password as a secret ARN.
 */
export interface RestoreCloudConfig {
  kind: 'restore';
  /** As given (rdb.s3Uri, ARNs, no passwords): what the migration item keeps. */
  stored: Record<string, unknown>;
  /** The restore config without secret refs (rdb.uri = the S3 URI): parseRestoreConfig's input once secrets are applied. */
  input: RestoreConfigInput;
  refs: SecretRefs;
  config: RestoreConfig;
}

export function parseRestoreCloudConfig(raw: Record<string, unknown>, where: string): RestoreCloudConfig {
  const stored = structuredClone(raw);
  const input = structuredClone(raw);
  const { refs, problems } = takeSecretRefs(input, where);
  if ('source' in input) {
    problems.push(`${where}.source: a restore reads the RDB snapshot named by rdb.s3Uri, not a Redis source; leave source out`);
    delete input.source;
  }
  const uri = snapshotUri(input.rdb, `${where}.rdb`, problems);
  input.rdb = { uri: uri ?? 's3://unknown/unknown' };
  let config: RestoreConfig | undefined;
  try {
    config = parseRestoreConfig(input, (path) => `${where}.${path}`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return { kind: 'restore', stored, input: input as RestoreConfigInput, refs, config };
}

/** The S3 URI of `{ "s3Uri": … }`, checked; undefined (with the problem noted) when it is not one. */
function snapshotUri(rdb: unknown, where: string, problems: string[]): string | undefined {
  if (!rdb || typeof rdb !== 'object' || Array.isArray(rdb)) {
    problems.push(`${where}: must be { "s3Uri": "s3://bucket/key" }, the RDB snapshot to restore`);
    return undefined;
  }
  const { s3Uri, ...rest } = rdb as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) problems.push(`${where}: unknown field(s) ${unknown.join(', ')} (it takes s3Uri only)`);
  if (typeof s3Uri !== 'string') {
    problems.push(`${where}.s3Uri: is required: the s3://bucket/key of the snapshot (a Lambda has no local files)`);
    return undefined;
  }
  try {
    parseS3Uri(s3Uri);
    return s3Uri;
  } catch (error) {
    if (!(error instanceof S3UriError)) throw error;
    problems.push(`${where}.s3Uri: ${error.message}`);
    return undefined;
  }
}
