import { ConfigError } from '../core/errors.js';
import { locateWithS3 } from '../rdb-s3/s3-rdb-location.js';
import { locateRdb, type RdbLocation } from '../runner/restore/rdb-file.js';

/**
 * Where `redis-ferry restore` reads a file from: a local path as the runner does, an s3:// URI from S3
 * (credentials from the AWS SDK's default chain; `--s3-endpoint` for an S3-compatible store).
 */
export function rdbLocator(s3Endpoint: string | undefined): (uri: string) => RdbLocation {
  if (s3Endpoint !== undefined && !isHttpUrl(s3Endpoint))
    throw new ConfigError([`--s3-endpoint ${JSON.stringify(s3Endpoint)}: give the store's http(s) URL, e.g. http://127.0.0.1:9000`]);
  return locateWithS3(locateRdb, s3Endpoint === undefined ? {} : { endpoint: s3Endpoint });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
