/**
 * Struct mode: copying keys by type in chunks (big keys, cross-version targets, targets without
 * RESTORE), the size probe that routes big keys, and DUMP payload helpers. See docs/fidelity.md.
 */
export type {
  Command,
  NotCarriedCounts,
  NotCarriedKind,
  RedisClient,
  StructCopyOptions,
  StructCopyResult,
  StructCopyStatus,
} from './contracts.js';
export { copyKeyByType, DEFAULT_CHUNK_BYTES, DEFAULT_CHUNK_SIZE, DEFAULT_TEMP_TTL_MS } from './copy-key.js';
export { copyKeysByType } from './copy-keys.js';
export { crc64 } from './crc64.js';
export {
  dumpChecksum,
  dumpRdbVersion,
  hasValidChecksum,
  isVersionRefusal,
  RDB_VERSION_BY_RELEASE,
  restampDumpVersion,
} from './dump-version.js';
export { TempKeyLostError } from './errors.js';
export {
  type ByTypeWriter,
  type StructFallbackOptions,
  StructFallbackSink,
  type StructFallbackStats,
  type StructMode,
} from './fallback-sink.js';
export { DEFAULT_BIG_KEY_BYTES, type KeySize, probeSizes, SizeProbe, type SizeProbeOptions } from './size-probe.js';
export { slotTag } from './slot-tag.js';
export { type CleanupOptions, type CleanupResult, cleanupTempKeys, DEFAULT_TEMP_PREFIX, isTempKey, tempKeyFor } from './temp-key.js';
