import { decodeObject } from '../../rdb/decode-object.js';
import type { RdbKey } from '../../rdb/walk-rdb.js';
import type { NotCarriedCounts, RedisClient, StructCopyOptions, StructCopyResult } from '../../struct/contracts.js';
import { DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_SIZE } from '../../struct/copy-key.js';
import { wrapStructError } from '../../struct/errors.js';
import type { ByTypeWriter } from '../../struct/fallback-sink.js';
import { targetBulkLimit } from '../../struct/target-bulk-limit.js';
import { targetCaps } from '../../struct/target-caps.js';
import { writeChunked } from '../../struct/write-chunked.js';
import { rdbRecordOf } from './rdb-key-source.js';
import { valueSteps } from './value-steps.js';

/**
 * Writes one key of the file by type: its object decoded (decodeObject, lazily, part by part) and
 * written in chunks under a temporary name, then RENAMEd into place with the TTL its absolute expiry
 * leaves (struct/write-chunked.ts: the protocol of copying a big key from a live source). The decode
 * path: for keys over the big-key threshold, for a target that refuses the file's RDB version, in
 * struct mode. A module value cannot be written by type ('unsupported', counted as not carried).
 */
export async function writeDecodedKey(
  target: RedisClient,
  record: RdbKey,
  rdbVersion: number,
  options: Pick<StructCopyOptions, 'replace' | 'chunkSize' | 'chunkBytes' | 'tempPrefix' | 'tempTtlMs'> & { now?: () => number },
): Promise<StructCopyResult> {
  const started = performance.now();
  const now = options.now ?? Date.now;
  const { key } = record;
  const value = decodeObject(record.type, record.object, rdbVersion, record.end - record.object.length);
  const notCarried: NotCarriedCounts = {};
  const result = (status: StructCopyResult['status'], extra: Partial<StructCopyResult> = {}): StructCopyResult => ({
    key,
    status,
    type: value.kind,
    elements: 0,
    bytes: record.object.length,
    chunks: 0,
    changedDuringCopy: false,
    notCarried,
    ttlMs: 0,
    durationMs: performance.now() - started,
    ...extra,
  });
  const ttlMs = () => (record.expireAtMs === null ? 0 : record.expireAtMs - now() >= 1 ? record.expireAtMs - now() : null);
  if (ttlMs() === null) return result('expired');
  if (value.kind === 'module') {
    notCarried['module-type'] = 1;
    return result('unsupported', { type: `module ${value.typeName}` });
  }
  if (!options.replace && (await exists(target, key))) return result('existing');
  if (value.kind === 'string') {
    const limit = await targetBulkLimit(target);
    if (limit !== undefined && value.value.length > limit) return result('too-big', { bytes: value.value.length });
  }
  const limits = { elements: options.chunkSize ?? DEFAULT_CHUNK_SIZE, bytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES };
  const ctx = { caps: await targetCaps(target), now, notCarried };
  let elements = 0;
  const written = await writeChunked(
    target,
    key,
    (temp) => {
      const steps = valueSteps(value, temp, limits, ctx);
      return {
        next: () => {
          const step = steps.next();
          if (!step.done) elements += step.value.elements;
          return step;
        },
      };
    },
    { replace: options.replace, ttlMs, tempPrefix: options.tempPrefix, tempTtlMs: options.tempTtlMs },
  );
  return result(written.status, { elements, chunks: written.chunks, ttlMs: written.ttlMs });
}

/**
 * The StructFallbackSink's writer for a restore: each record is decoded from the file (the object
 * the range source read it from travels with it), `concurrency` keys at a time, as copyKeysByType does from a
 * live source. Results come in the order of the records; the first error is thrown once those in
 * flight have settled.
 */
export function decodedWriter(target: RedisClient, rdbVersion: number): ByTypeWriter {
  return async (records, options) => {
    const results: StructCopyResult[] = new Array(records.length);
    let next = 0;
    let failure: { error: unknown } | undefined;
    const worker = async () => {
      while (!failure && next < records.length) {
        const i = next++;
        try {
          results[i] = await writeDecodedKey(target, rdbRecordOf(records[i]!), rdbVersion, options);
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 16, records.length)) }, worker));
    if (failure) throw failure.error;
    return results;
  };
}

async function exists(target: RedisClient, key: Buffer): Promise<boolean> {
  try {
    return (await target.exists(key)) > 0;
  } catch (error) {
    throw wrapStructError('target', key, 'EXISTS', error);
  }
}
