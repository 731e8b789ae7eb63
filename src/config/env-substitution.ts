const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string value with the environment variable, as redis-shake v4 does,
 * so addresses and passwords need not be written in the file. Done on parsed values, not on the
 * file text, so a secret holding quotes or backslashes cannot break the TOML. A missing variable
 * is reported through `missing` with the path of the value that named it.
 */
export function substituteEnv<T>(
  value: T,
  env: NodeJS.ProcessEnv,
  missing: (name: string, path: string[]) => void,
  path: string[] = [],
): T {
  if (typeof value === 'string') {
    return value.replace(PATTERN, (whole, name: string) => {
      const found = env[name];
      if (found === undefined) {
        missing(name, path);
        return whole;
      }
      return found;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, missing, [...path, String(i)])) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, missing, [...path, k]);
    return out as T;
  }
  return value;
}
