import type { SecretRefs } from '../cloud/secret-refs.js';
import { ConfigError } from '../core/errors.js';

/** Where each secret the input names comes from, without Secrets Manager. */
export interface SecretSources {
  /** The contents of a --secrets file: {"<secret ARN>": "<secret text>" | {"password": "…", "username"?: "…"}}. */
  file?: { path: string; text: string };
  /** REDIS_FERRY_SOURCE_PASSWORD / REDIS_FERRY_TARGET_PASSWORD answer the source's / target's passwordSecretArn. */
  env: NodeJS.ProcessEnv;
}

/**
 * The text each referenced secret would hold in Secrets Manager, from a local file or the
 * environment. Values are handed to the functions as secret text, so they go through the same
 * parsing as in the cloud; a password from the environment is wrapped as {"password": …}, so any
 * character is safe. Every secret without a value is named at once (never a value).
 */
export function localSecretValues(refs: SecretRefs, sources: SecretSources): Map<string, string> {
  const values = new Map<string, string>();
  if (sources.file) for (const [arn, text] of parseSecretsFile(sources.file)) values.set(arn, text);
  const problems: string[] = [];
  for (const side of ['source', 'target'] as const) {
    const variable = `REDIS_FERRY_${side.toUpperCase()}_PASSWORD`;
    for (const [field, arn] of Object.entries(refs[side])) {
      if (!arn || values.has(arn)) continue;
      const password = field === 'passwordSecretArn' ? sources.env[variable] : undefined;
      if (password) values.set(arn, JSON.stringify({ password }));
      else
        problems.push(
          `secret ${arn} (${side}.${field}) has no local value: ${field === 'passwordSecretArn' ? `set ${variable}, or ` : ''}` +
            `give --secrets FILE holding {"${arn}": "…"}`,
        );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values;
}

function parseSecretsFile(file: { path: string; text: string }): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(file.text);
  } catch (error) {
    throw new ConfigError([`${file.path}: not JSON (${(error as Error).message}); expected {"<secret ARN>": "<password>"}`]);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConfigError([`${file.path}: expected a JSON object {"<secret ARN>": "<password>" or {"password": "…"}}`]);
  return Object.entries(parsed).map(([arn, value]) => {
    if (typeof value === 'string') return [arn, value];
    if (value && typeof value === 'object') return [arn, JSON.stringify(value)];
    throw new ConfigError([`${file.path}: the value for ${arn} must be the secret's text or an object {"password": "…"}`]);
  });
}
