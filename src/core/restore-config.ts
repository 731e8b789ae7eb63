import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkRegexes, type EndpointConfig, migrationFields, parseWith } from './config.js';

/**
 * A restore's configuration: a copy's options (config.ts) with an RDB file in place of the source
 * endpoint. Follow mode and the extra-key check need a live source, so they are not options here.
 */
const restoreSchema = migrationFields
  .omit({ source: true, follow: true, extraCheck: true })
  .extend({
    rdb: z.strictObject({
      /** A local path, or s3://bucket/key. */
      uri: z.string().min(1, 'needs the path of an .rdb file (or an s3:// URI)'),
    }),
    /** Byte ranges the file is restored in at once (units); 0: one per 64 MiB, at most `concurrency`. */
    parallel: z.number().int().min(0).max(1024).default(0),
  })
  .superRefine((cfg, ctx) => checkRegexes(cfg.filter, ctx));

export type RestoreConfig = z.infer<typeof restoreSchema>;
export type RestoreConfigInput = z.input<typeof restoreSchema>;

/** Validates untrusted input into a RestoreConfig (one ConfigError listing every problem). */
export function parseRestoreConfig(input: unknown, describePath: (path: string) => string = (p) => p): RestoreConfig {
  return parseWith(restoreSchema, input, describePath);
}

function endpointIdentity(endpoint: EndpointConfig) {
  return {
    addresses: [...endpoint.addresses].sort(),
    topology: endpoint.topology,
    masterName: endpoint.masterName ?? null,
    username: endpoint.username ?? null,
  };
}

/**
 * A stable id for "this restore": the same file name, target and data-shaping options give the
 * same id, so running the same command again resumes. The file's size and modification time are
 * not in it: they are stored with the plan, so a resume against another file at the same path is
 * refused with a clear message instead of silently starting a second restore.
 */
export function defaultRestoreId(config: RestoreConfig): string {
  const identity = {
    rdb: config.rdb.uri,
    target: endpointIdentity(config.target),
    dbs: [...config.dbs].sort((a, b) => a - b),
    dbMap: Object.entries(config.dbMap).sort(),
    scan: { match: config.scan.match ?? null, type: config.scan.type ?? null },
    filter: config.filter,
    onExistingKey: config.onExistingKey,
  };
  return `rdb-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 12)}`;
}
