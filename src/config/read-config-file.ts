import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { type MigrationConfig, type MigrationConfigInput, parseConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { substituteEnv } from './env-substitution.js';
import { type Dialect, type MappedConfig, mapShakeConfig } from './shake-mapping.js';
import { type V3File, type V4File, v3File, v4File } from './shake-schema.js';
import { closest, locateKey } from './toml-locate.js';

export interface LoadedConfigFile {
  dialect: Dialect;
  /** Validated config. */
  config: MigrationConfig;
  /** The mapped input before validation, for callers that add their own overrides (CLI flags). */
  input: MigrationConfigInput;
  warnings: string[];
  /** Renders a core config path as `file:line: [section] key`, for errors after overrides. */
  describePath: (path: string) => string;
}

/**
 * Reads a redis-shake scan config (v3 or v4) into a validated MigrationConfig. Every problem —
 * TOML syntax, an unknown or typo'd key, a wrong type, a missing ${VAR}, an option we cannot honour
 * — becomes one line `file:line: what is wrong; how to fix it`, all collected into one ConfigError.
 */
export function readConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides?: (input: MigrationConfigInput) => MigrationConfigInput,
): LoadedConfigFile {
  const { raw, text, at } = readToml(path, env);
  const dialect = detectDialect(raw, path, text);
  const schema = dialect === 'v3' ? v3File : v4File;
  const parsed = parseFile(schema, raw, at);
  const mapped = mapShakeConfig(dialect, parsed as V3File | V4File);
  const describePath = mappedPaths(path, mapped, at);
  const input = overrides ? overrides(mapped.input) : mapped.input;
  return { dialect, config: parseConfig(input, describePath), input, warnings: mapped.warnings, describePath };
}

/** Where a config problem is: `file:line`, from a section and key. */
export type Locate = (section: string | undefined, key?: string) => string;

/** A TOML file read, parsed and with ${VAR}s substituted; every problem is one ConfigError line naming the place. */
export function readToml(path: string, env: NodeJS.ProcessEnv): { raw: Record<string, unknown>; text: string; at: Locate } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [
        `cannot read config file ${path}: ` +
          `${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      ],
      { cause: error },
    );
  }
  const at: Locate = (section, key) => `${path}:${locateKey(text, section, key) ?? 1}`;

  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError([describeSyntaxError(path, text, error)], { cause: error });
  }

  const envProblems: string[] = [];
  raw = substituteEnv(raw, env, (name, where) => {
    const [section, key] = where.length > 1 ? [where[0], where[1]] : [undefined, where[0]];
    envProblems.push(
      `${at(section, key)}: \${${name}} is not set in the environment; export ${name}=… before running (or write the value in the file)`,
    );
  });
  if (envProblems.length > 0) throw new ConfigError(envProblems);
  return { raw, text, at };
}

/** The file checked against its redis-shake schema; every problem (a typo'd key, a wrong type) is one line. */
export function parseFile(schema: z.ZodObject, raw: Record<string, unknown>, at: Locate): unknown {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  // A typo'd key also makes the real key "missing"; the typo line alone says it all.
  const typos = new Set(
    parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.map((k) => `${String(i.path[0])}.${closest(k, knownKeys(schema, String(i.path[0])))}`) : [],
    ),
  );
  const issues = parsed.error.issues.filter((i) => !(i.code === 'invalid_type' && i.input === undefined && typos.has(i.path.join('.'))));
  throw new ConfigError(issues.flatMap((issue) => describeIssue(issue, schema, at)));
}

/** Refuses what redis-ferry cannot honour, then names each core path by where it came from in the file. */
export function mappedPaths(path: string, mapped: MappedConfig<unknown>, at: Locate): (corePath: string) => string {
  if (mapped.unsupported.length > 0) {
    throw new ConfigError(
      mapped.unsupported.map(({ origin, message }) => {
        const [section, key] = origin.split('.');
        return `${at(section, key)}: [${section}] ${key}: ${message}`;
      }),
    );
  }
  return (corePath: string) => {
    const origin = mapped.origins.get(corePath) ?? mapped.origins.get(corePath.replace(/\[\d+\]$/, ''));
    if (!origin) return `${path}: ${corePath}`;
    const [section, key] = origin.split('.');
    return `${at(section, key)}: [${section}] ${key}`;
  };
}

function detectDialect(raw: Record<string, unknown>, path: string, text: string): Dialect {
  if ('rdb_reader' in raw || raw.type === 'restore') {
    throw new ConfigError([
      `${path}:${locateKey(text, 'rdb_reader') ?? 1}: this is a redis-shake restore config (an RDB file as the source): ` +
        `run it with redis-ferry restore ${path}`,
    ]);
  }
  for (const reader of ['sync_reader', 'aof_reader']) {
    if (reader in raw) {
      throw new ConfigError([
        `${path}:${locateKey(text, reader) ?? 1}: [${reader}] is not supported: redis-ferry ` +
          `copies with SCAN + DUMP + RESTORE; rename the section to [scan_reader] (scan mode needs no PSYNC)`,
      ]);
    }
  }
  if ('scan_reader' in raw || 'redis_writer' in raw) return 'v4';
  if ('type' in raw || 'source' in raw || 'target' in raw) {
    if (raw.type !== undefined && raw.type !== 'scan') {
      throw new ConfigError([
        `${path}: type = ${JSON.stringify(raw.type)}: redis-ferry runs redis-shake's scan ` +
          `mode only (sync needs PSYNC, which managed services disable); set type = "scan"`,
      ]);
    }
    return 'v3';
  }
  throw new ConfigError([
    `${path}: not a redis-shake scan config: expected [scan_reader] and [redis_writer] ` +
      `(v4) or type = "scan" with [source] and [target] (v3)`,
  ]);
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodObject, at: Locate): string[] {
  const [section, key] =
    issue.path.length >= 2
      ? [String(issue.path[0]), String(issue.path[1])]
      : [undefined, issue.path[0] === undefined ? undefined : String(issue.path[0])];
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(schema, issue.path.length === 0 ? undefined : String(issue.path[0]));
    return issue.keys.map((k) => {
      const hint = closest(k, known);
      const where = issue.path.length === 0 ? at(k) : at(String(issue.path[0]), k);
      const name = issue.path.length === 0 ? `[${k}]` : `[${String(issue.path[0])}] ${k}`;
      return `${where}: unknown option ${name}${hint ? `; did you mean ${hint}?` : '; remove it'}`;
    });
  }
  const name = section ? `[${section}] ${key}` : (key ?? 'file');
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [`${at(section ?? key)}: ${name} is required`];
  }
  return [`${at(section, key)}: ${name}: ${issue.message}`];
}

function knownKeys(schema: z.ZodObject, section: string | undefined): string[] {
  const shape = schema.shape as Record<string, z.ZodType>;
  if (section === undefined) return Object.keys(shape);
  let inner: unknown = shape[section];
  while (inner && typeof inner === 'object' && 'unwrap' in inner && typeof (inner as { unwrap: unknown }).unwrap === 'function') {
    inner = (inner as { unwrap: () => unknown }).unwrap();
  }
  return inner && typeof inner === 'object' && 'shape' in inner ? Object.keys((inner as { shape: object }).shape) : [];
}

/** One line for a TOML syntax error, with the fix for the most common one: `key =` with no value. */
function describeSyntaxError(path: string, text: string, error: unknown): string {
  if (!(error instanceof TomlError)) return `${path}: ${(error as Error).message}`;
  const line = text.split(/\r?\n/)[error.line - 1] ?? '';
  const empty = /^\s*([A-Za-z0-9_-]+)\s*=\s*(#.*)?$/.exec(line);
  if (empty) {
    return `${path}:${error.line}: \`${empty[1]} =\` has no value; TOML needs one: write ${empty[1]} = "" for an empty ${empty[1]}`;
  }
  const reason = error.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
  return `${path}:${error.line}:${error.column}: invalid TOML: ${reason}: ${line.trim()}`;
}
