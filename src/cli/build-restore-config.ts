import { readRestoreConfigFile } from '../config/read-restore-config.js';
import { ConfigError } from '../core/errors.js';
import { parseRestoreConfig, type RestoreConfig, type RestoreConfigInput } from '../core/restore-config.js';
import { applyCopyFlags, type CopyFlags } from './build-config.js';
import { parseEndpointUrl } from './endpoint-url.js';

export interface RestoreFlags extends CopyFlags {
  /** --parallel: byte ranges restored at once. */
  parallel?: number;
}

/**
 * The config for a restore: `<file.rdb | s3://…> --target URL`, or a redis-shake restore config
 * (a .toml file: v4 [rdb_reader], v3 type = "restore"), with the other flags on top. The target's
 * password may come from REDIS_FERRY_TARGET_PASSWORD instead of the command line.
 */
export function buildRestoreConfig(
  fileOrConfig: string | undefined,
  flags: RestoreFlags,
  env: NodeJS.ProcessEnv = process.env,
): { config: RestoreConfig; warnings: string[] } {
  const overrides = (input: RestoreConfigInput): RestoreConfigInput => {
    const out = applyCopyFlags(input, flags);
    if (flags.parallel !== undefined) out.parallel = flags.parallel;
    const password = env.REDIS_FERRY_TARGET_PASSWORD;
    if (password && out.target && !out.target.password) out.target = { ...out.target, password };
    return out;
  };
  if (!fileOrConfig) {
    throw new ConfigError([
      'nothing to restore: give an RDB file (redis-ferry restore dump.rdb --target redis://host:6379) or a redis-shake restore config',
    ]);
  }
  if (/\.toml$/i.test(fileOrConfig)) {
    if (flags.target) throw new ConfigError(['give either a config file or --target, not both (the config names the target)']);
    const loaded = readRestoreConfigFile(fileOrConfig, env, overrides);
    return { config: loaded.config, warnings: loaded.warnings };
  }
  if (!flags.target)
    throw new ConfigError([`restore ${fileOrConfig}: where to? add --target redis://host:port (?cluster=true for a cluster)`]);
  const target = parseEndpointUrl('--target', flags.target);
  if (target.db !== undefined)
    throw new ConfigError(['--target names a db: a file holds keys of several dbs; map them with --db-map instead (e.g. --db-map 0:3)']);
  const input: RestoreConfigInput = { rdb: { uri: fileOrConfig }, target: target.endpoint, scan: {} } as RestoreConfigInput;
  const flagNames: Record<string, string> = {
    'scan.count': '--count',
    'scan.match': '--match',
    rateLimit: '--rate-limit',
    concurrency: '--concurrency',
    parallel: '--parallel',
    dbs: '--dbs',
    dbMap: '--db-map',
  };
  const describe = (path: string) => (path.startsWith('target') ? `--target (${path})` : (flagNames[path] ?? path));
  return { config: parseRestoreConfig(overrides(input), describe), warnings: [] };
}
