import { ConfigError } from '../core/errors.js';
import { parseRestoreConfig, type RestoreConfig, type RestoreConfigInput } from '../core/restore-config.js';
import { mappedPaths, parseFile, readToml } from './read-config-file.js';
import { type Dialect, mapRestoreConfig } from './shake-mapping.js';
import { type V3RestoreFile, type V4RdbFile, v3RestoreFile, v4RdbFile } from './shake-schema.js';

export interface LoadedRestoreConfig {
  dialect: Dialect;
  config: RestoreConfig;
  warnings: string[];
}

/**
 * Reads a redis-shake restore config unchanged: v4's `[rdb_reader] filepath = "…"` with a
 * `[redis_writer]`, or v3's `type = "restore"` with `[source] rdb_file_path` and `[target]`. The
 * path may also be an s3:// URI. Problems are reported as for a scan config (read-config-file.ts):
 * one line each, `file:line: what is wrong; how to fix it`.
 */
export function readRestoreConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides?: (input: RestoreConfigInput) => RestoreConfigInput,
): LoadedRestoreConfig {
  const { raw, at } = readToml(path, env);
  const dialect = detectRestoreDialect(raw, path);
  const parsed = parseFile(dialect === 'v3' ? v3RestoreFile : v4RdbFile, raw, at);
  const mapped = mapRestoreConfig(dialect, parsed as V3RestoreFile | V4RdbFile);
  const describePath = mappedPaths(path, mapped, at);
  const input = overrides ? overrides(mapped.input) : mapped.input;
  return { dialect, config: parseRestoreConfig(input, describePath), warnings: mapped.warnings };
}

/** Whether a redis-shake config file is a restore config (an RDB file as the source), not a scan config. */
export function isRestoreConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const { raw } = readToml(path, env);
  return 'rdb_reader' in raw || raw.type === 'restore';
}

function detectRestoreDialect(raw: Record<string, unknown>, path: string): Dialect {
  if ('rdb_reader' in raw) return 'v4';
  if (raw.type === 'restore') return 'v3';
  if ('scan_reader' in raw || raw.type === 'scan')
    throw new ConfigError([`${path}: this is a scan config (a live source): run it with redis-ferry migrate ${path}`]);
  throw new ConfigError([
    `${path}: not a redis-shake restore config: expected [rdb_reader] filepath = "…" with [redis_writer] (v4), ` +
      'or type = "restore" with [source] rdb_file_path and [target] (v3)',
  ]);
}
