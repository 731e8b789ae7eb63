import { readConfigFile } from '../config/read-config-file.js';
import { type MigrationConfig, type MigrationConfigInput, parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import type { RestoreConfigInput } from '../core/restore-config.js';
import { parseEndpointUrl } from './endpoint-url.js';

/** Flags that shape the copy; each overrides the config file's value when given. */
export interface CopyFlags {
  source?: string;
  target?: string;
  rateLimit?: number;
  dryRun?: boolean;
  /** false with --no-functions */
  functions?: boolean;
  onExisting?: 'fail' | 'replace' | 'skip';
  onTooBig?: 'stop' | 'skip';
  count?: number;
  match?: string;
  type?: string;
  dbs?: number[];
  dbMap?: Record<string, number>;
  concurrency?: number;
  /** false with --no-adaptive-count */
  adaptiveCount?: boolean;
  mode?: 'dump' | 'struct';
  bigKeyThreshold?: number;
  verify?: 'none' | 'quick' | 'full';
  maxMismatches?: number;
  /** --follow: follow the source's writes until cutover. */
  follow?: boolean;
  followConfigSet?: boolean;
  /** Milliseconds, from --cutover-when-idle / --quiet-period. */
  cutoverWhenIdle?: number;
  quietPeriod?: number;
  /** false with --no-extra-check */
  extraCheck?: boolean;
}

export interface BuiltConfig {
  config: MigrationConfig;
  warnings: string[];
}

/**
 * The config for a run: a redis-shake TOML file, or --source/--target URLs, with the other flags
 * on top. Passwords may come from REDIS_FERRY_SOURCE_PASSWORD / REDIS_FERRY_TARGET_PASSWORD so they
 * need not appear on the command line (where `ps` shows them).
 */
export function buildConfig(configPath: string | undefined, flags: CopyFlags, env: NodeJS.ProcessEnv = process.env): BuiltConfig {
  const overrides = (input: MigrationConfigInput): MigrationConfigInput => {
    const out = applyCopyFlags(input, flags);
    if (flags.adaptiveCount === false) out.scan.adaptive = false;
    if (flags.extraCheck === false) out.extraCheck = false;
    out.follow = followOverrides(input.follow, flags);
    for (const side of ['source', 'target'] as const) {
      const password = env[`REDIS_FERRY_${side.toUpperCase()}_PASSWORD`];
      const endpoint = out[side] as Record<string, unknown> | undefined;
      if (password && endpoint && !endpoint.password) out[side] = { ...endpoint, password } as never;
    }
    return out;
  };

  if (configPath) {
    if (flags.source || flags.target) throw new ConfigError(['give either a config file or --source/--target, not both']);
    const loaded = readConfigFile(configPath, env, overrides);
    return { config: loaded.config, warnings: loaded.warnings };
  }
  if (!flags.source || !flags.target) {
    throw new ConfigError([
      'nothing to copy: give a redis-shake config file (redis-ferry migrate shake.toml) or both --source and --target URLs',
    ]);
  }
  const source = parseEndpointUrl('--source', flags.source);
  const target = parseEndpointUrl('--target', flags.target);
  const input: Record<string, unknown> = { source: source.endpoint, target: target.endpoint, scan: {} };
  if (source.db !== undefined) input.dbs = [source.db];
  if (target.db !== undefined) {
    if (source.db === undefined)
      throw new ConfigError(['--target names a db: name the source db too (redis://host:port/N), or use --db-map']);
    input.dbMap = { [String(source.db)]: target.db };
  }
  const flagNames: Record<string, string> = {
    'scan.count': '--count',
    'scan.match': '--match',
    rateLimit: '--rate-limit',
    concurrency: '--concurrency',
    dbs: '--dbs',
    dbMap: '--db-map',
  };
  const describe = (path: string) =>
    path.startsWith('source') ? `--source (${path})` : path.startsWith('target') ? `--target (${path})` : (flagNames[path] ?? path);
  return { config: parseConfig(overrides(input as MigrationConfigInput), describe), warnings: [] };
}

/** The options a copy and a restore share (CopyFlags) applied over a config input, each flag given overriding the file. */
export function applyCopyFlags<T extends MigrationConfigInput | RestoreConfigInput>(
  input: T,
  flags: CopyFlags,
): T & { scan: Record<string, unknown> } {
  const out = { ...input, scan: { ...input.scan } } as T & { scan: Record<string, unknown> };
  if (flags.rateLimit !== undefined) out.rateLimit = flags.rateLimit;
  if (flags.dryRun) out.dryRun = true;
  if (flags.functions === false) out.functions = false;
  if (flags.onExisting) out.onExistingKey = flags.onExisting;
  if (flags.onTooBig) out.onTooBig = flags.onTooBig;
  if (flags.count !== undefined) out.scan.count = flags.count;
  if (flags.match) out.scan.match = flags.match;
  if (flags.type) out.scan.type = flags.type as never;
  if (flags.mode) out.mode = flags.mode;
  if (flags.bigKeyThreshold !== undefined) out.bigKeyThreshold = flags.bigKeyThreshold;
  if (flags.verify) out.verify = flags.verify;
  if (flags.maxMismatches !== undefined) out.maxMismatches = flags.maxMismatches;
  if (flags.dbs) out.dbs = flags.dbs;
  if (flags.dbMap) out.dbMap = { ...input.dbMap, ...flags.dbMap };
  if (flags.concurrency !== undefined) out.concurrency = flags.concurrency;
  return out;
}

/** --follow and its companions on top of the file's [advanced] follow settings. */
function followOverrides(base: MigrationConfigInput['follow'], flags: CopyFlags): MigrationConfigInput['follow'] {
  const follow = { ...base };
  if (flags.follow || flags.followConfigSet || flags.cutoverWhenIdle !== undefined) follow.enabled = true;
  if (flags.followConfigSet) follow.configSet = true;
  if (flags.cutoverWhenIdle !== undefined) follow.cutoverWhenIdleMs = flags.cutoverWhenIdle;
  if (flags.quietPeriod !== undefined) follow.quietMs = flags.quietPeriod;
  return follow;
}
