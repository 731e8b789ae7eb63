import type { MigrationConfigInput } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { RestoreConfigInput } from '../core/restore-config.js';

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
 * the secret is used only when the config names none (the config is the more specific place). A side
 * the config does not have (a restore has no source endpoint) stays absent.
 */
export async function applySecrets<T extends MigrationConfigInput | RestoreConfigInput>(
  input: T,
  refs: SecretRefs,
  resolve: SecretResolver,
): Promise<T> {
  const out: Record<string, unknown> = { ...input };
  for (const side of ['source', 'target'] as const) {
    if (!(side in input)) continue;
    const ref = refs[side];
    const endpoint: Record<string, unknown> = { ...((input as Record<string, unknown>)[side] as object) };
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
    out[side] = endpoint;
  }
  return out as T;
}

/**
 * Takes the secret refs out of the endpoints of a cloud config (in place): each `passwordSecretArn`
 * (and `sentinelPasswordSecretArn`) checked and moved to the refs; a plaintext password or a CA file
 * (a Lambda has no local files) is a problem. `input` is a copy the caller may change.
 */
export function takeSecretRefs(input: Record<string, unknown>, where: string): { refs: SecretRefs; problems: string[] } {
  const problems: string[] = [];
  const refs: SecretRefs = { source: {}, target: {} };
  for (const side of ['source', 'target'] as const) {
    const endpoint = input[side];
    if (!endpoint || typeof endpoint !== 'object') continue; // the config's own parser reports it
    const ep = endpoint as Record<string, unknown>;
    for (const [plain, refKey] of [
      ['password', 'passwordSecretArn'],
      ['sentinelPassword', 'sentinelPasswordSecretArn'],
    ] as const) {
      if (ep[plain] !== undefined && ep[plain] !== '') {
        problems.push(
          `${where}.${side}.${plain}: passwords must not appear in an execution input (it ` +
            `is kept in the execution history); store it in Secrets Manager and give the secret's ` +
            `ARN as ${side}.${refKey}`,
        );
      }
      delete ep[plain];
      const arn = ep[refKey];
      if (arn === undefined) continue;
      if (!isSecretArn(arn))
        problems.push(
          `${where}.${side}.${refKey}: must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)`,
        );
      else (refs[side] as EndpointSecretRefs)[refKey] = arn;
      delete ep[refKey];
    }
    const tls = ep.tls as Record<string, unknown> | undefined;
    if (tls && typeof tls === 'object' && tls.caFile !== undefined) {
      problems.push(
        `${where}.${side}.tls.caFile: a Lambda function has no local files; leave it out ` +
          `to trust the public CAs (ElastiCache/MemoryDB certificates chain to them)`,
      );
    }
  }
  return { refs, problems };
}

/** Every secret ARN a config refers to (for IAM checks and messages). */
export function secretArnsOf(refs: SecretRefs): string[] {
  return [refs.source, refs.target]
    .flatMap((r) => [r.passwordSecretArn, r.sentinelPasswordSecretArn])
    .filter((a): a is string => a !== undefined);
}
