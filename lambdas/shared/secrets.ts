import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { RetryableMigrationError } from '../../src/cloud/cloud-errors.js';
import { parseSecretValue, type SecretResolver, type SecretValue } from '../../src/cloud/secret-refs.js';
import { ConfigError, MigrationError } from '../../src/core/errors.js';

/**
 * Reads secrets by ARN, caching each for `ttlMs` in the container, so warm invocations (a copy
 * loop makes many) do not call Secrets Manager every time, while a rotated password is picked up
 * within the TTL. Values stay in memory: never logged, returned or stored.
 */
export function createSecretResolver(client: SecretsManagerClient, ttlMs: number, now: () => number = Date.now): SecretResolver {
  const cache = new Map<string, { at: number; value: Promise<SecretValue> }>();
  return (arn) => {
    const hit = cache.get(arn);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = readSecret(client, arn);
    cache.set(arn, { at: now(), value });
    // A failed read is not cached: the retry asks again.
    value.catch(() => cache.delete(arn));
    return value;
  };
}

async function readSecret(client: SecretsManagerClient, arn: string): Promise<SecretValue> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: arn })));
  } catch (error) {
    const name = (error as Error)?.name ?? 'Error';
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode ?? 0;
    if (/Throttl|InternalServiceError|ServiceUnavailable|TimeoutError|ECONNRESET/.test(name) || status >= 500) {
      throw new RetryableMigrationError(new MigrationError(`secret ${arn} could not be read right now (${name})`, { cause: error }));
    }
    throw new ConfigError(
      [
        `secret ${arn} cannot be read (${name}): check the ARN, ` +
          `and that the migrator's functions may read it (the construct's \`secrets\` prop)`,
      ],
      { cause: error },
    );
  }
  return parseSecretValue(arn, secretString);
}
