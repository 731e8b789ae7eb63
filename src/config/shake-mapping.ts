import type { ConflictPolicy, MigrationConfigInput } from '../core/config.js';
import type { RestoreConfigInput } from '../core/restore-config.js';
import type {
  AdvancedSection,
  FilterSection,
  SourceSection,
  TargetSection,
  V3File,
  V3RestoreFile,
  V4File,
  V4RdbFile,
} from './shake-schema.js';

export type Dialect = 'v3' | 'v4';

/** A mapped config, with where each value came from (core path → "section.key") for messages. */
export interface MappedConfig<Input = MigrationConfigInput> {
  input: Input;
  origins: Map<string, string>;
  warnings: string[];
  /** Options redis-shake has that redis-ferry cannot honour; each is "section.key: why + fix". */
  unsupported: { origin: string; message: string }[];
}

const BEHAVIOUR: Record<NonNullable<AdvancedSection['rdb_restore_command_behavior']>, ConflictPolicy> = {
  panic: 'fail',
  rewrite: 'replace',
  skip: 'skip',
  ignore: 'skip',
};

function splitAddresses(address: string): string[] {
  return address
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

function endpoint(
  sec: SourceSection | TargetSection,
  name: string,
  side: 'source' | 'target',
  explicitType: string | undefined,
  out: MappedConfig<unknown>,
) {
  const origin = (core: string, key: string) => out.origins.set(`${side}.${core}`, `${name}.${key}`);
  origin('addresses', 'address');
  origin('masterName', 'master');
  origin('tls.caFile', 'tls_ca_file');
  origin('tls.servername', 'tls_server_name');
  // `cluster = false` is what the sample files say by default, so only `true` asserts a cluster;
  // otherwise the server is asked (INFO cluster) and a cluster is recognised either way.
  const topology = sec.sentinel
    ? 'sentinel'
    : sec.cluster || explicitType === 'cluster'
      ? 'cluster'
      : explicitType === 'sentinel'
        ? 'sentinel'
        : 'auto';
  return {
    topology,
    addresses: splitAddresses(sec.address),
    ...(sec.username ? { username: sec.username } : {}),
    ...(sec.password ? { password: sec.password } : {}),
    tls: {
      enabled: sec.tls ?? false,
      ...(sec.tls_ca_file ? { caFile: sec.tls_ca_file } : {}),
      ...(sec.tls_server_name ? { servername: sec.tls_server_name } : {}),
      verify: sec.tls_verify ?? true,
    },
    ...(sec.master ? { masterName: sec.master } : {}),
    ...(sec.sentinel_username ? { sentinelUsername: sec.sentinel_username } : {}),
    ...(sec.sentinel_password ? { sentinelPassword: sec.sentinel_password } : {}),
    preferReplica: 'prefer_replica' in sec ? (sec.prefer_replica ?? false) : false,
  } as const;
}

function filter(sec: FilterSection | undefined, out: MappedConfig<unknown>) {
  if (!sec) return undefined;
  for (const key of ['allow_command', 'block_command', 'allow_command_group', 'block_command_group'] as const) {
    if ((sec[key] ?? []).length > 0) {
      out.unsupported.push({
        origin: `filter.${key}`,
        message:
          'command filters do not apply to a scan copy (every key is written with RESTORE); use the key and db filters, or remove it',
      });
    }
  }
  if (sec.function)
    out.unsupported.push({ origin: 'filter.function', message: 'Lua transform functions are not supported; remove it (function = "")' });
  return {
    allowKeyPrefix: sec.allow_key_prefix ?? [],
    blockKeyPrefix: sec.block_key_prefix ?? [],
    allowKeySuffix: sec.allow_key_suffix ?? [],
    blockKeySuffix: sec.block_key_suffix ?? [],
    allowKeyRegex: sec.allow_key_regex ?? [],
    blockKeyRegex: sec.block_key_regex ?? [],
    allowDb: sec.allow_db ?? [],
    blockDb: sec.block_db ?? [],
  };
}

/** Maps a parsed redis-shake file onto redis-ferry's config input (validated later by parseConfig). */
export function mapShakeConfig(dialect: Dialect, file: V3File | V4File): MappedConfig {
  const out: MappedConfig = { input: {} as MigrationConfigInput, origins: new Map(), warnings: [], unsupported: [] };
  const [src, dst, srcName, dstName] =
    dialect === 'v3'
      ? [(file as V3File).source, (file as V3File).target, 'source', 'target']
      : [(file as V4File).scan_reader, (file as V4File).redis_writer, 'scan_reader', 'redis_writer'];
  const advanced = file.advanced ?? {};

  if (src.scan === false)
    out.unsupported.push({
      origin: `${srcName}.scan`,
      message: 'scan = false leaves nothing to copy: redis-ferry copies by SCAN; set scan = true',
    });
  if (src.count !== undefined && src.count >= 1 && src.count < 100) {
    out.warnings.push(
      `${srcName}.count = ${src.count}: every SCAN returns about ${src.count} key(s), ` +
        `one round trip each; count = 1000 is usually 10-100x faster`,
    );
  }
  if (advanced.empty_db_before_sync) {
    out.unsupported.push({
      origin: 'advanced.empty_db_before_sync',
      message:
        'migrate never empties the target; empty it yourself (FLUSHDB) if you mean to, or run redis-ferry reconcile, ' +
        'which deletes the target keys the source lacks; then set empty_db_before_sync = false',
    });
  }
  if (advanced.aws_psync) out.warnings.push('advanced.aws_psync is for sync mode and is ignored by a scan copy');

  out.origins.set('dbs', `${srcName}.dbs`);
  out.origins.set('scan.count', `${srcName}.count`);
  out.origins.set('scan.match', `${srcName}.match`);
  out.origins.set('dbMap', `${dstName}.db_map`);
  const filterInput = filter(file.filter, out);
  out.input = {
    source: endpoint(src, srcName, 'source', undefined, out),
    target: endpoint(dst, dstName, 'target', dialect === 'v3' ? (file as V3File).target.type : undefined, out),
    ...(src.dbs ? { dbs: src.dbs } : {}),
    ...('db_map' in dst && dst.db_map ? { dbMap: dst.db_map } : {}),
    scan: {
      count: src.count ?? 1000,
      ...(src.match ? { match: src.match } : {}),
      ...(src.key_type ? { type: src.key_type } : {}),
      ...(src.adaptive_count !== undefined ? { adaptive: src.adaptive_count } : {}),
    },
    ...(filterInput ? { filter: filterInput } : {}),
    ...advancedInput(advanced, out),
    // redis-shake's ksn = true follows keyspace notifications; here it turns on follow mode.
    ...(src.ksn || advanced.follow ? { follow: { enabled: true, configSet: advanced.follow_config_set ?? false } } : {}),
    ...(advanced.extra_check !== undefined ? { extraCheck: advanced.extra_check } : {}),
  };
  return out;
}

/** Maps a redis-shake restore file (v4 `[rdb_reader]`, v3 `type = "restore"`) onto a restore's config input. */
export function mapRestoreConfig(dialect: Dialect, file: V3RestoreFile | V4RdbFile): MappedConfig<RestoreConfigInput> {
  const out: MappedConfig<RestoreConfigInput> = { input: {} as RestoreConfigInput, origins: new Map(), warnings: [], unsupported: [] };
  const v3 = dialect === 'v3' ? (file as V3RestoreFile) : undefined;
  const v4 = dialect === 'v4' ? (file as V4RdbFile) : undefined;
  const [srcName, pathKey, dstName] = v3 ? ['source', 'rdb_file_path', 'target'] : ['rdb_reader', 'filepath', 'redis_writer'];
  const dst = v3 ? v3.target : v4!.redis_writer;
  const parallel = v3 ? v3.source.parallel : v4!.rdb_reader.parallel;
  out.origins.set('rdb.uri', `${srcName}.${pathKey}`);
  out.origins.set('parallel', `${srcName}.parallel`);
  out.origins.set('dbMap', `${dstName}.db_map`);
  const advanced = file.advanced ?? {};
  if (advanced.empty_db_before_sync) {
    out.unsupported.push({
      origin: 'advanced.empty_db_before_sync',
      message: 'restore never empties the target; empty it yourself (FLUSHDB) if you mean to, then set empty_db_before_sync = false',
    });
  }
  for (const key of ['follow', 'follow_config_set', 'extra_check'] as const) {
    if (advanced[key] !== undefined)
      out.unsupported.push({ origin: `advanced.${key}`, message: 'needs a live source; a restore reads a file: remove it' });
  }
  const filterInput = filter(file.filter, out);
  out.input = {
    rdb: { uri: v3 ? v3.source.rdb_file_path : v4!.rdb_reader.filepath },
    ...(parallel !== undefined ? { parallel } : {}),
    target: endpoint(dst, dstName, 'target', v3?.target.type, out),
    ...(dst.db_map ? { dbMap: dst.db_map } : {}),
    ...(filterInput ? { filter: filterInput } : {}),
    ...advancedInput(advanced, out),
  };
  return out;
}

/** The [advanced] options a scan copy and a restore share. */
function advancedInput(advanced: AdvancedSection, out: MappedConfig<unknown>): Partial<MigrationConfigInput & RestoreConfigInput> {
  out.origins.set('rateLimit', 'advanced.rate_limit');
  out.origins.set('concurrency', 'advanced.concurrency');
  out.origins.set('bigKeyThreshold', 'advanced.big_key_threshold');
  out.origins.set('maxMismatches', 'advanced.max_mismatches');
  out.origins.set('extraCheck', 'advanced.extra_check');
  out.origins.set('functions', 'advanced.functions');
  out.origins.set('onTooBig', 'advanced.on_too_big');
  // A payload above the target's proto-max-bulk-len cannot be sent in one RESTORE: such keys go by type.
  const bulkLimit = advanced.target_redis_proto_max_bulk_len;
  const threshold =
    advanced.big_key_threshold !== undefined && bulkLimit !== undefined
      ? Math.min(advanced.big_key_threshold, bulkLimit)
      : (advanced.big_key_threshold ?? (bulkLimit !== undefined ? Math.min(bulkLimit, 16 * 1024 * 1024) : undefined));

  return {
    onExistingKey: BEHAVIOUR[advanced.rdb_restore_command_behavior ?? 'panic'],
    ...(advanced.rate_limit !== undefined ? { rateLimit: advanced.rate_limit } : {}),
    ...(advanced.concurrency !== undefined ? { concurrency: advanced.concurrency } : {}),
    ...(advanced.mode ? { mode: advanced.mode } : {}),
    ...(threshold !== undefined ? { bigKeyThreshold: threshold } : {}),
    ...(advanced.verify ? { verify: advanced.verify } : {}),
    ...(advanced.max_mismatches !== undefined ? { maxMismatches: advanced.max_mismatches } : {}),
    ...(advanced.functions !== undefined ? { functions: advanced.functions } : {}),
    ...(advanced.on_too_big ? { onTooBig: advanced.on_too_big } : {}),
  };
}
