import { z } from 'zod';

/**
 * The redis-shake scan configs redis-ferry reads unchanged: v3 (`type = "scan"`, `[source]`,
 * `[target]`) and v4 (`[scan_reader]`, `[redis_writer]`, `[filter]`, `[advanced]`). Every key
 * those files may hold is listed so a typo is reported instead of silently ignored; keys that only
 * tune redis-shake itself (ncpu, pprof_port, log_file, …) are accepted and have no effect here.
 * Keys marked "redis-ferry" are our extensions.
 */

// Passwords are strings, but `password = 123456` unquoted is a common paste; accept and convert.
const secret = z.union([z.string(), z.number().transform(String)]);
const strings = z.array(z.string());
const dbList = z.array(z.number().int().min(0, 'db numbers start at 0'));

/** Connection keys shared by every endpoint section. */
const endpointKeys = {
  address: z.string(),
  username: z.string().optional(),
  password: secret.optional(),
  tls: z.boolean().optional(),
  version: z.union([z.number(), z.string()]).optional(),
  tls_ca_file: z.string().optional(), // redis-ferry
  tls_server_name: z.string().optional(), // redis-ferry
  tls_verify: z.boolean().optional(), // redis-ferry: certificate check, on by default
  sentinel: z.boolean().optional(),
  master: z.string().optional(),
  sentinel_username: z.string().optional(), // redis-ferry
  sentinel_password: secret.optional(), // redis-ferry
};

const sourceKeys = {
  ...endpointKeys,
  cluster: z.boolean().optional(),
  prefer_replica: z.boolean().optional(),
  dbs: dbList.optional(),
  scan: z.boolean().optional(),
  ksn: z.boolean().optional(),
  count: z.number().int().optional(),
  match: z.string().optional(), // redis-ferry: SCAN MATCH pattern
  key_type: z.enum(['string', 'list', 'set', 'zset', 'hash', 'stream']).optional(), // redis-ferry: SCAN TYPE
  adaptive_count: z.boolean().optional(), // redis-ferry: let COUNT grow over slow links
};

const targetKeys = {
  ...endpointKeys,
  cluster: z.boolean().optional(),
  off_reply: z.boolean().optional(),
  db_map: z.record(z.string(), z.number().int().min(0)).optional(), // redis-ferry: source db → target db
};

export const filterSection = z.strictObject({
  allow_key_prefix: strings.optional(),
  block_key_prefix: strings.optional(),
  allow_key_suffix: strings.optional(),
  block_key_suffix: strings.optional(),
  allow_key_regex: strings.optional(),
  block_key_regex: strings.optional(),
  allow_db: dbList.optional(),
  block_db: dbList.optional(),
  allow_command: strings.optional(),
  block_command: strings.optional(),
  allow_command_group: strings.optional(),
  block_command_group: strings.optional(),
  function: z.string().optional(),
});

export const advancedSection = z.strictObject({
  dir: z.string().optional(),
  ncpu: z.number().optional(),
  pprof_port: z.number().optional(),
  metrics_port: z.number().optional(),
  status_port: z.number().optional(),
  log_file: z.string().optional(),
  log_level: z.string().optional(),
  log_interval: z.number().optional(),
  log_rotation: z.boolean().optional(),
  log_max_size: z.number().optional(),
  log_max_age: z.number().optional(),
  log_max_backups: z.number().optional(),
  log_compress: z.boolean().optional(),
  rdb_restore_command_behavior: z.enum(['panic', 'rewrite', 'skip', 'ignore']).optional(),
  pipeline_count_limit: z.number().int().optional(),
  target_redis_max_qps: z.number().optional(),
  target_redis_client_max_querybuf_len: z.number().optional(),
  target_redis_proto_max_bulk_len: z.number().optional(),
  aws_psync: z.string().optional(),
  empty_db_before_sync: z.boolean().optional(),
  rate_limit: z.number().min(0).optional(), // redis-ferry: source keys per second, 0 = unlimited
  concurrency: z.number().int().min(0).optional(), // redis-ferry: units at once, 0 = all
  mode: z.enum(['dump', 'struct']).optional(), // redis-ferry: DUMP/RESTORE (default) or type by type
  big_key_threshold: z.number().int().min(0).optional(), // redis-ferry: bytes; bigger keys go by type in chunks
  verify: z.enum(['none', 'quick', 'full']).optional(), // redis-ferry: check after the copy
  max_mismatches: z.number().int().min(0).optional(), // redis-ferry: differences tolerated by verify
  follow: z.boolean().optional(), // redis-ferry: follow the source's writes until cutover (as ksn = true)
  follow_config_set: z.boolean().optional(), // redis-ferry: set notify-keyspace-events for the run
  extra_check: z.boolean().optional(), // redis-ferry: verify also looks for keys only the target has
  functions: z.boolean().optional(), // redis-ferry: copy Redis 7 functions first (default true)
  on_too_big: z.enum(['stop', 'skip']).optional(), // redis-ferry: a string longer than the target's proto-max-bulk-len
});

const moduleSection = z.strictObject({ target_mbbloom_version: z.number().optional() });

export const v3File = z.strictObject({
  type: z.literal('scan', { message: 'redis-ferry runs redis-shake\'s scan mode only: set type = "scan"' }),
  source: z.strictObject(sourceKeys),
  target: z.strictObject({ ...targetKeys, type: z.enum(['standalone', 'cluster', 'sentinel']).optional() }),
  filter: filterSection.optional(),
  advanced: advancedSection.optional(),
});

export const v4File = z.strictObject({
  scan_reader: z.strictObject(sourceKeys),
  redis_writer: z.strictObject(targetKeys),
  filter: filterSection.optional(),
  advanced: advancedSection.optional(),
  module: moduleSection.optional(),
  transform: z.string().optional(),
});

/** redis-shake v4's RDB restore: `[rdb_reader] filepath = "…"` (here also an s3:// URI) and a `[redis_writer]`. */
export const v4RdbFile = z.strictObject({
  rdb_reader: z.strictObject({
    filepath: z.string().min(1, 'needs the path of an .rdb file (or an s3:// URI)'),
    parallel: z.number().int().min(0).optional(), // redis-ferry: byte ranges restored at once
  }),
  redis_writer: z.strictObject(targetKeys),
  filter: filterSection.optional(),
  advanced: advancedSection.optional(),
  module: moduleSection.optional(),
  transform: z.string().optional(),
});

/** redis-shake v3's restore mode: `type = "restore"`, `[source] rdb_file_path`, `[target]`. */
export const v3RestoreFile = z.strictObject({
  type: z.literal('restore'),
  source: z.strictObject({
    rdb_file_path: z.string().min(1, 'needs the path of an .rdb file (or an s3:// URI)'),
    version: z.union([z.number(), z.string()]).optional(),
    parallel: z.number().int().min(0).optional(), // redis-ferry: byte ranges restored at once
  }),
  target: z.strictObject({ ...targetKeys, type: z.enum(['standalone', 'cluster', 'sentinel']).optional() }),
  filter: filterSection.optional(),
  advanced: advancedSection.optional(),
});

export type V4RdbFile = z.infer<typeof v4RdbFile>;
export type V3RestoreFile = z.infer<typeof v3RestoreFile>;
export type V3File = z.infer<typeof v3File>;
export type V4File = z.infer<typeof v4File>;
export type SourceSection = V4File['scan_reader'];
export type TargetSection = V4File['redis_writer'];
export type FilterSection = z.infer<typeof filterSection>;
export type AdvancedSection = z.infer<typeof advancedSection>;
