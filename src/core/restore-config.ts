import { z } from 'zod';
import { checkRegexes, migrationFields, parseWith } from './config.js';
import { hashedId, writeIdentity } from './migration-id.js';

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
    /** Byte ranges the file is restored in at once (units); 0: chosen from the round trip and the file size (plan-restore.ts). */
    parallel: z.number().int().min(0).max(1024).default(0),
  })
  .superRefine((cfg, ctx) => checkRegexes(cfg.filter, ctx));

export type RestoreConfig = z.infer<typeof restoreSchema>;
export type RestoreConfigInput = z.input<typeof restoreSchema>;

/** Validates untrusted input into a RestoreConfig (one ConfigError listing every problem). */
export function parseRestoreConfig(input: unknown, describePath: (path: string) => string = (p) => p): RestoreConfig {
  return parseWith(restoreSchema, input, describePath);
}

/**
 * A stable id for "this restore": the same file name, target and data-shaping options give the
 * same id, so running the same command again resumes. The file's size and modification time are
 * not in it: they are stored with the plan, so a resume against another file at the same path is
 * refused with a clear message instead of silently starting a second restore.
 */
export function defaultRestoreId(config: RestoreConfig): string {
  return hashedId('rdb', { rdb: config.rdb.uri, ...writeIdentity(config) });
}
