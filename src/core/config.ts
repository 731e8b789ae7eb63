import { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * The one normalized configuration the engine runs on. The CLI builds it from redis-shake TOML or
 * flags, the Lambda handlers from the execution input; both call `parseConfig` once at the edge and
 * the core only ever sees the validated result. Defaults live here and nowhere else.
 */

/** How the endpoint is deployed. `auto` asks the server (INFO cluster) at plan time. */
export type Topology = 'auto' | 'standalone' | 'cluster' | 'sentinel';

/** What to do when a key already exists on the target. */
export type ConflictPolicy = 'fail' | 'replace' | 'skip';

const address = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):\d{1,5}$/, 'must be host:port, e.g. "10.0.0.5:6379" or "[::1]:6379"');

const tlsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** PEM file with the CA(s) to trust; the system CAs are used when absent. */
  caFile: z.string().min(1).optional(),
  /** SNI name and the name checked against the certificate; defaults to the host. */
  servername: z.string().min(1).optional(),
  /** Certificate verification. On by default; turn off only for self-signed test setups. */
  verify: z.boolean().default(true),
});
export type TlsConfig = z.infer<typeof tlsSchema>;

const endpointSchema = z.strictObject({
  topology: z.enum(['auto', 'standalone', 'cluster', 'sentinel']).default('auto'),
  /** One address of the deployment: any node of a cluster, or the sentinels for `sentinel`. */
  addresses: z.array(address).min(1, 'needs at least one address'),
  username: z.string().optional(),
  password: z.string().optional(),
  tls: tlsSchema.default({ enabled: false, verify: true }),
  /** For `sentinel`: the monitored master's name. */
  masterName: z.string().min(1).optional(),
  /** For `sentinel`: credentials of the sentinels themselves, when they differ. */
  sentinelUsername: z.string().optional(),
  sentinelPassword: z.string().optional(),
  /** Source only: read from a replica instead of the master (cluster shards, sentinel sets). */
  preferReplica: z.boolean().default(false),
});
export type EndpointConfig = z.infer<typeof endpointSchema>;

const filterSchema = z.strictObject({
  allowKeyPrefix: z.array(z.string()).default([]),
  blockKeyPrefix: z.array(z.string()).default([]),
  allowKeySuffix: z.array(z.string()).default([]),
  blockKeySuffix: z.array(z.string()).default([]),
  allowKeyRegex: z.array(z.string()).default([]),
  blockKeyRegex: z.array(z.string()).default([]),
  allowDb: z.array(z.number().int().min(0)).default([]),
  blockDb: z.array(z.number().int().min(0)).default([]),
});
export type FilterConfig = z.infer<typeof filterSchema>;

/** The options of a copy, before the checks across fields (restore-config.ts derives a restore's from them). */
export const migrationFields = z.strictObject({
  source: endpointSchema,
  target: endpointSchema,
  /** Source dbs to copy; empty means every non-empty db listed by INFO keyspace. */
  dbs: z.array(z.number().int().min(0)).default([]),
  /** Source db → target db; unmapped dbs keep their number. Keys are db numbers as strings. */
  dbMap: z.record(z.string().regex(/^\d+$/, 'must be a db number'), z.number().int().min(0)).default({}),
  scan: z
    .strictObject({
      /** Keys asked for per SCAN call (the COUNT hint); also the batch size. */
      count: z.number().int().min(1, 'must be at least 1 (keys per SCAN; 1000 is a good start)').max(1_000_000).default(1000),
      match: z.string().min(1).optional(),
      type: z.enum(['string', 'list', 'set', 'zset', 'hash', 'stream']).optional(),
      /** Grow COUNT (up to 10×, at most 10,000) when SCAN round trips are slow (a distant source). */
      adaptive: z.boolean().default(true),
    })
    .default({ count: 1000, adaptive: true }),
  filter: filterSchema.default({
    allowKeyPrefix: [],
    blockKeyPrefix: [],
    allowKeySuffix: [],
    blockKeySuffix: [],
    allowKeyRegex: [],
    blockKeyRegex: [],
    allowDb: [],
    blockDb: [],
  }),
  onExistingKey: z.enum(['fail', 'replace', 'skip']).default('fail'),
  /**
   * A key the target cannot hold, a string longer than its proto-max-bulk-len: `stop` the run naming
   * it (raise the limit, then resume), or `skip` it, counting it and naming the first few.
   */
  onTooBig: z.enum(['stop', 'skip']).default('stop'),
  /** Keys per second read from the source, summed over all units; 0 means unlimited. */
  rateLimit: z.number().min(0).default(0),
  /** Read and count everything, write nothing. */
  dryRun: z.boolean().default(false),
  /** Copy the source's Redis 7 functions (FUNCTION DUMP/RESTORE) before the keys. */
  functions: z.boolean().default(true),
  /**
   * Units copied at once by one process; 0 means all of them. The default, 4: the units share
   * one JavaScript thread, which 4 units already keep busy (about 4 µs of client CPU per key),
   * while each unit in flight holds some 25-30 MB more (bench/README.md); the Lambda deployment
   * runs one unit per function instead (maxConcurrency).
   */
  concurrency: z.number().int().min(0).default(4),
  /**
   * `dump`: DUMP + RESTORE, switching a unit to type-by-type writes if the target refuses the
   * payload version (an older Redis). `struct`: type-by-type from the start (no RESTORE needed).
   */
  mode: z.enum(['dump', 'struct']).default('dump'),
  /**
   * Keys whose size (MEMORY USAGE) exceeds this many bytes are copied by type in chunks, never held
   * whole in memory; 0 turns the size probe off (then every key is DUMPed whole).
   */
  bigKeyThreshold: z
    .number()
    .int()
    .min(0)
    .default(16 * 1024 * 1024),
  /** After the copy: nothing, existence + type + TTL, or the values too. */
  verify: z.enum(['none', 'quick', 'full']).default('quick'),
  /** Differing keys tolerated before verification fails the run. */
  maxMismatches: z.number().int().min(0).default(0),
  /** Live migration: follow the source's writes after the copy until cutover (docs/follow.md). */
  follow: z
    .object({
      enabled: z.boolean().default(false),
      /** Set missing notify-keyspace-events flags for the run, and put the old value back after it. */
      configSet: z.boolean().default(false),
      /** How long no event may arrive before the cutover declares the target caught up (ms). */
      quietMs: z.number().int().min(0).default(2000),
      /** Start the cutover by itself once no event arrived for this long (ms); absent: wait to be told. */
      cutoverWhenIdleMs: z.number().int().min(1).optional(),
    })
    .default({ enabled: false, configSet: false, quietMs: 2000 }),
  /**
   * Verification also walks the target for keys the source does not have (within the selection),
   * reported as `extra`. Costs a SCAN of the target and an EXISTS per target key on the source.
   */
  extraCheck: z.boolean().default(true),
});

const migrationSchema = migrationFields.superRefine((cfg, ctx) => {
  if (cfg.follow.enabled && cfg.onExistingKey === 'skip') {
    ctx.addIssue({
      code: 'custom',
      path: ['follow'],
      message:
        'cannot be combined with the "skip" conflict policy: a followed key must take the source\'s newest value; ' +
        'use "fail" (an empty target) or "replace"',
    });
  }
  if (cfg.follow.enabled && cfg.dryRun) {
    ctx.addIssue({ code: 'custom', path: ['follow'], message: 'cannot be combined with a dry run (following writes)' });
  }
  for (const [side, ep] of [
    ['source', cfg.source],
    ['target', cfg.target],
  ] as const) {
    if (ep.topology === 'sentinel' && !ep.masterName) {
      ctx.addIssue({
        code: 'custom',
        path: [side, 'masterName'],
        message: 'is required when the topology is sentinel (the name the sentinels monitor)',
      });
    }
  }
  checkRegexes(cfg.filter, ctx);
});

/** Every key regex must compile. */
export function checkRegexes(filter: FilterConfig, ctx: z.RefinementCtx): void {
  for (const re of [...filter.allowKeyRegex, ...filter.blockKeyRegex]) {
    try {
      new RegExp(re);
    } catch {
      ctx.addIssue({ code: 'custom', path: ['filter'], message: `regex ${JSON.stringify(re)} is not a valid regular expression` });
    }
  }
}

export type MigrationConfig = z.infer<typeof migrationSchema>;
export type MigrationConfigInput = z.input<typeof migrationSchema>;

/** Renders a zod path the way users wrote it (`source.addresses[0]`). */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );
}

/**
 * Validates untrusted input (TOML-derived object, Lambda event, flags) into a MigrationConfig.
 * Throws one ConfigError listing every problem. `describePath` lets a caller that knows where a
 * value came from (a TOML file and line) name that place instead of the internal path.
 */
export function parseConfig(input: unknown, describePath: (path: string) => string = (p) => p): MigrationConfig {
  return parseWith(migrationSchema, input, describePath);
}

/** Validates `input` with `schema`; one ConfigError listing every problem, each at its path. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, describePath: (path: string) => string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${describePath(path ? `${path}.${k}` : k)}: unknown option`).join('\n');
    }
    return `${describePath(path)}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

/** Target db for a source db under the configured mapping. */
export function targetDbFor(config: Pick<MigrationConfig, 'dbMap'>, sourceDb: number): number {
  return config.dbMap[String(sourceDb)] ?? sourceDb;
}
