import type { MigrationConfigInput } from '../core/config.js';
import { ConfigError } from '../core/errors.js';

/**
 * In the cloud a password never travels in an execution input, a state or a log: the input names
 * a Secrets Manager secret instead (`passwordSecretArn`), and only the Lambda that opens the Redis
 * connection reads the secret, into memory. This module is the AWS-free half of that: the refs,
 * the secret's format, and filling a config in from a resolver the Lambda provides.
 */

/** A Secrets Manager secret ARN (any partition); the 6-character suffix is optional. */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

export function isSecretArn(value: unknown): value is string {
  return typeof value === 'string' && SECRET_ARN.test(value);
}

/** What a secret holds: a password, and optionally the ACL user it belongs to. */
export interface SecretValue {
  password: string;
  username?: string;
}

export type SecretResolver = (arn: string) => Promise<SecretValue>;

export interface EndpointSecretRefs {
  passwordSecretArn?: string;
  sentinelPasswordSecretArn?: string;
}

export interface SecretRefs {
  source: EndpointSecretRefs;
  target: EndpointSecretRefs;
}

/**
 * Reads a secret's text: either the bare password, or JSON `{"password": "…", "username": "…"}`
 * (the shape RDS/ElastiCache rotation templates write). Errors name the secret, never its content.
 */
export function parseSecretValue(arn: string, secretString: string | undefined): SecretValue {
  if (secretString === undefined) {
    throw new ConfigError([
      `secret ${arn} has no text value (binary secrets are not supported): store the password as text, or as JSON {"password": "…"}`,
    ]);
  }
  if (secretString.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      // Not JSON after all: a password may well start with "{".
      return { password: secretString };
    }
    const object = parsed as Record<string, unknown>;
    if (typeof object.password !== 'string') {
      throw new ConfigError([
        `secret ${arn} is JSON without a string "password" field: store {"password": "…"} ` +
          `(optionally with "username"), or the bare password`,
      ]);
    }
    const username = typeof object.username === 'string' && object.username !== '' ? object.username : undefined;
    return { password: object.password, ...(username ? { username } : {}) };
  }
  return { password: secretString };
}

/**
 * The config with every referenced secret read and put where the engine expects it. A username in
 * the secret is used only when the config names none (the config is the more specific place).
 */
export async function applySecrets(input: MigrationConfigInput, refs: SecretRefs, resolve: SecretResolver): Promise<MigrationConfigInput> {
  const out: MigrationConfigInput = { ...input };
  for (const side of ['source', 'target'] as const) {
    const ref = refs[side];
    const endpoint: Record<string, unknown> = { ...(input[side] as object) };
    if (ref.passwordSecretArn) {
      const secret = await resolve(ref.passwordSecretArn);
      endpoint.password = secret.password;
      if (secret.username && !endpoint.username) endpoint.username = secret.username;
    }
    if (ref.sentinelPasswordSecretArn) {
      const secret = await resolve(ref.sentinelPasswordSecretArn);
      endpoint.sentinelPassword = secret.password;
      if (secret.username && !endpoint.sentinelUsername) endpoint.sentinelUsername = secret.username;
    }
    out[side] = endpoint as MigrationConfigInput[typeof side];
  }
  return out;
}

/** Every secret ARN a config refers to (for IAM checks and messages). */
export function secretArnsOf(refs: SecretRefs): string[] {
  return [refs.source, refs.target]
    .flatMap((r) => [r.passwordSecretArn, r.sentinelPasswordSecretArn])
    .filter((a): a is string => a !== undefined);
}
