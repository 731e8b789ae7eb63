import type { MigrationRecord } from '../../src/checkpoint/dynamo-migration.js';
import type { LambdaSettings } from '../../src/cloud/lambda-settings.js';
import type { RestoreCloudConfig } from '../../src/cloud/restore-input.js';
import { applySecrets, type SecretResolver } from '../../src/cloud/secret-refs.js';
import { RestoreFileChangedError } from '../../src/core/errors.js';
import { parseRestoreConfig, type RestoreConfig } from '../../src/core/restore-config.js';
import { s3RdbLocation } from '../../src/rdb-s3/s3-rdb-location.js';
import { type OpenedRdb, openRdb, sameFile } from '../../src/runner/restore/rdb-file.js';

/** A restore's engine config, with the target's password read from Secrets Manager (in memory only). */
export async function resolveRestoreConfig(cloud: RestoreCloudConfig, resolveSecret: SecretResolver): Promise<RestoreConfig> {
  return parseRestoreConfig(await applySecrets(cloud.input, cloud.refs, resolveSecret), (path) => `config.${path}`);
}

/**
 * The snapshot opened from S3 (or the S3-compatible store of RDB_S3_ENDPOINT, path-style): its size,
 * ETag and header. Credentials come from the SDK's default chain: the function's role in AWS.
 */
export function openSnapshot(uri: string, settings: LambdaSettings): Promise<OpenedRdb> {
  const endpoint = settings.rdbS3Endpoint;
  return openRdb(uri, (u) => s3RdbLocation(u, endpoint === undefined ? {} : { endpoint }));
}

/**
 * The snapshot a slice reads: the one the plan was made from, as the migration item records it (the
 * item the slice read to renew its claim: no plan loaded). An object replaced since (another ETag
 * or size) is refused, so the units never mix two backups.
 */
export async function openPlannedSnapshot(record: MigrationRecord, uri: string, settings: LambdaSettings): Promise<OpenedRdb> {
  const rdb = await openSnapshot(uri, settings);
  const planned = record.rdb;
  if (!planned || !sameFile(planned, rdb.identity)) {
    const was = planned ? `${planned.size} bytes, ${planned.version}` : 'no stored snapshot identity';
    throw new RestoreFileChangedError(
      `restore ${record.migrationId} was planned from ${uri} (${was}), but it is now ${rdb.identity.size} bytes, ` +
        `${rdb.identity.version}: put the original object back to resume, or start a new migration id`,
    );
  }
  return rdb;
}
