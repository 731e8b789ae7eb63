/**
 * Numbers of the RDB format (Redis src/rdb.h): object types, opcodes, string encodings. Object types
 * are what a key record starts with and what a DUMP payload starts with.
 */

/** The newest RDB format version this reader understands (Redis 7.4 writes 12). */
export const RDB_MAX_VERSION = 12;
/** RDB versions 5 and later end in a CRC-64 of the whole file (0 when the server had it off). */
export const RDB_CHECKSUM_SINCE = 5;

export const RdbType = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE_PRE_GA: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
  SET_LISTPACK: 20,
  STREAM_LISTPACKS_3: 21,
  HASH_METADATA_PRE_GA: 22,
  HASH_LISTPACK_EX_PRE_GA: 23,
  HASH_METADATA: 24,
  HASH_LISTPACK_EX: 25,
} as const;

export const RdbOpcode = {
  SLOT_INFO: 244,
  FUNCTION2: 245,
  FUNCTION_PRE_GA: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

/** Sub-opcodes of a module value (RDB_MODULE_OPCODE_*): each typed field is announced by one. */
export const ModuleOpcode = { EOF: 0, SINT: 1, UINT: 2, FLOAT: 3, DOUBLE: 4, STRING: 5 } as const;

/** Names of the object types, for messages. */
const TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(RdbType).map(([name, value]) => [value, name.toLowerCase()])),
);

/** 'hash_listpack (16)' — the type as a person reading rdb.h would name it. */
export function rdbTypeName(type: number): string {
  return `${TYPE_NAMES[type] ?? 'unknown'} (${type})`;
}
