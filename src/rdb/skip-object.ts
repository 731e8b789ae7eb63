import { ModuleOpcode, RdbType, rdbTypeName } from './rdb-constants.js';
import type { RdbCursor } from './rdb-cursor.js';
import { RdbUnsupportedError } from './rdb-errors.js';

/**
 * Moves the cursor past one serialized object of `type` without decoding it (the layouts of Redis
 * src/rdb.c rdbLoadObject): only lengths are read, strings and blobs are skipped whole. This is what
 * lets the walker hand out an object's exact bytes and the splitter run at I/O speed.
 */
export function skipObject(c: RdbCursor, type: number, typeAt: number): void {
  switch (type) {
    case RdbType.STRING:
    case RdbType.HASH_ZIPMAP:
    case RdbType.LIST_ZIPLIST:
    case RdbType.SET_INTSET:
    case RdbType.ZSET_ZIPLIST:
    case RdbType.HASH_ZIPLIST:
    case RdbType.HASH_LISTPACK:
    case RdbType.ZSET_LISTPACK:
    case RdbType.SET_LISTPACK:
    case RdbType.HASH_LISTPACK_EX_PRE_GA:
      c.skipString();
      return;
    case RdbType.HASH_LISTPACK_EX:
      c.skip(8, 'the minimum field expiry');
      c.skipString();
      return;
    case RdbType.LIST:
    case RdbType.SET:
    case RdbType.LIST_QUICKLIST:
      skipStrings(c, c.length('an element count'));
      return;
    case RdbType.HASH:
      skipStrings(c, 2 * c.length('a field count'));
      return;
    case RdbType.ZSET:
      skipTextZset(c);
      return;
    case RdbType.ZSET_2:
      skipZset2(c);
      return;
    case RdbType.LIST_QUICKLIST_2:
      skipQuicklist2(c);
      return;
    case RdbType.HASH_METADATA:
      c.skip(8, 'the minimum field expiry');
      skipHashWithTtls(c);
      return;
    case RdbType.HASH_METADATA_PRE_GA:
      skipHashWithTtls(c);
      return;
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
    case RdbType.STREAM_LISTPACKS_3:
      skipStream(c, type);
      return;
    case RdbType.MODULE_2:
      c.lengthOrEncoding();
      skipModuleValue(c);
      return;
    case RdbType.MODULE_PRE_GA: {
      const at = typeAt;
      throw new RdbUnsupportedError(
        `a module value in the pre-release format of Redis 4.0 (type 6) at offset ${at} cannot be read without its ` +
          'module: load the file into a Redis with that module and save it again (it then uses type 7)',
        at,
      );
    }
    default:
      c.fail(`unknown RDB object type ${type} (not a type Redis up to 7.4 writes)`, typeAt);
  }
}

function skipStrings(c: RdbCursor, count: number): void {
  for (let i = 0; i < count; i++) c.skipString();
}

function skipTextZset(c: RdbCursor): void {
  const count = c.length('a member count');
  for (let i = 0; i < count; i++) {
    c.skipString();
    c.skipTextDouble();
  }
}

function skipZset2(c: RdbCursor): void {
  const count = c.length('a member count');
  for (let i = 0; i < count; i++) {
    c.skipString();
    c.skip(8, 'a score');
  }
}

function skipQuicklist2(c: RdbCursor): void {
  const nodes = c.length('a node count');
  for (let i = 0; i < nodes; i++) {
    c.length('a node container');
    c.skipString();
  }
}

/** HASH_METADATA(_PRE_GA): count, then (ttl, field, value) triples. */
function skipHashWithTtls(c: RdbCursor): void {
  const count = c.length('a field count');
  for (let i = 0; i < count; i++) {
    c.lengthOrEncoding();
    c.skipString();
    c.skipString();
  }
}

function skipLengths(c: RdbCursor, n: number): void {
  for (let i = 0; i < n; i++) c.lengthOrEncoding();
}

/** A stream: listpacks, metadata, then consumer groups with their PELs and consumers. */
function skipStream(c: RdbCursor, type: number): void {
  const listpacks = c.length('a listpack count');
  for (let i = 0; i < listpacks; i++) {
    c.skipString();
    c.skipString();
  }
  // length, last id; from v2 on also first id, max deleted id, entries added.
  skipLengths(c, type >= RdbType.STREAM_LISTPACKS_2 ? 8 : 3);
  const groups = c.length('a consumer group count');
  for (let g = 0; g < groups; g++) {
    c.skipString();
    skipLengths(c, type >= RdbType.STREAM_LISTPACKS_2 ? 3 : 2);
    const pel = c.length('a pending entry count');
    // Each: a 16-byte raw id, an 8-byte delivery time, a delivery count.
    for (let i = 0; i < pel; i++) {
      c.skip(24, 'a pending entry');
      c.lengthOrEncoding();
    }
    const consumers = c.length('a consumer count');
    for (let k = 0; k < consumers; k++) {
      c.skipString();
      c.skip(type >= RdbType.STREAM_LISTPACKS_3 ? 16 : 8, 'consumer times');
      const owned = c.length('a consumer pending count');
      c.skip(16 * owned, 'consumer pending ids');
    }
  }
}

/**
 * A module value (type 7 and MODULE_AUX): typed fields, each announced by an opcode, until the EOF
 * opcode. The module itself is never needed to find the end.
 */
export function skipModuleValue(c: RdbCursor): void {
  for (;;) {
    const at = c.offset();
    const opcode = c.lengthOrEncoding();
    switch (opcode) {
      case ModuleOpcode.EOF:
        return;
      case ModuleOpcode.SINT:
      case ModuleOpcode.UINT:
        c.lengthOrEncoding();
        break;
      case ModuleOpcode.FLOAT:
        c.skip(4, 'a module float');
        break;
      case ModuleOpcode.DOUBLE:
        c.skip(8, 'a module double');
        break;
      case ModuleOpcode.STRING:
        c.skipString();
        break;
      default:
        c.fail(`unknown module value opcode ${opcode} (${rdbTypeName(RdbType.MODULE_2)})`, at);
    }
  }
}
