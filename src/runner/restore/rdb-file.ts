import { stat } from 'node:fs/promises';
import type { RdbFileIdentity } from '../../core/contracts.js';
import { ConfigError } from '../../core/errors.js';
import type { ByteSource } from '../../rdb/byte-source.js';
import { fileByteSource } from '../../rdb/file-byte-source.js';
import { type RdbHeader, readRdbHeader } from '../../rdb/walk-rdb.js';

/** An RDB file opened for a restore: where its bytes come from, which version of it this is, its header. */
export interface OpenedRdb {
  source: ByteSource;
  identity: RdbFileIdentity;
  header: RdbHeader;
}

/** Where the bytes of a file named by a URI come from, and what identifies this version of it. */
export interface RdbLocation {
  source: ByteSource;
  /** "mtime <ISO date>" for a local file, "etag <…>" for an object store. */
  version(): Promise<string>;
}

/**
 * The byte source for a path or URI. Local paths are read with fileByteSource; an s3:// URI needs
 * the S3 byte source (src/rdb-s3), which plugs in here.
 */
export function locateRdb(uri: string): RdbLocation {
  if (/^s3:\/\//i.test(uri)) {
    throw new ConfigError([`${uri}: restoring from S3 is not supported by this build yet; download the object and pass the local path`]);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new ConfigError([`${uri}: unknown scheme; give a local path to an .rdb file (or an s3://bucket/key URI)`]);
  }
  return {
    source: fileByteSource(uri),
    version: async () => `mtime ${(await stat(uri)).mtime.toISOString()}`,
  };
}

/**
 * Opens the file and reads its header: a missing file, or one that is not an RDB file, fails here,
 * before anything is asked of the target.
 */
export async function openRdb(uri: string, locate: (uri: string) => RdbLocation = locateRdb): Promise<OpenedRdb> {
  const { source, version } = locate(uri);
  const size = await source.size();
  const header = await readRdbHeader(source);
  return { source, header, identity: { uri, size, version: await version(), rdbVersion: header.version } };
}

/** True when a plan made from `planned` may resume with `now`: the same file, unchanged. */
export function sameFile(planned: RdbFileIdentity, now: RdbFileIdentity): boolean {
  return planned.uri === now.uri && planned.size === now.size && planned.version === now.version;
}
