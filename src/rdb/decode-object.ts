import { decodeModule } from './decode-module.js';
import { decodeStream } from './decode-stream.js';
import { blobAt, parseScore, type ReadBlob } from './decode-support.js';
import { hashListpackExEntries, intsetMembers, listpackEntries, ziplistEntries, zipmapPairs } from './encodings/index.js';
import { RdbType, rdbTypeName } from './rdb-constants.js';
import { RdbCursor } from './rdb-cursor.js';
import { RdbFormatError } from './rdb-errors.js';
import type { HashField, RdbValue, ZsetMember } from './rdb-value.js';

export type * from './rdb-value.js';

/**
 * The value of one RDB object (the `object` of an RdbKey, its type byte apart), for writing by type.
 * See rdb-value.ts for the shape: collections are iterables that decode lazily, so a big key goes
 * out in chunks. `fileOffset` (the object's offset in the file: key.end - key.object.length) only
 * makes error offsets point into the file. `rdbVersion` is accepted for symmetry with
 * restorePayload: every layout here is told apart by its type byte alone.
 */
export function decodeObject(type: number, object: Buffer, _rdbVersion: number, fileOffset = 0): RdbValue {
  const at = (): RdbCursor => new RdbCursor(object, 0, fileOffset, true);
  const blob: ReadBlob = blobAt(object, fileOffset);
  switch (type) {
    case RdbType.STRING:
      return { kind: 'string', value: at().string() };
    case RdbType.LIST:
      return { kind: 'list', items: strings(at, 1) };
    case RdbType.LIST_ZIPLIST:
      return { kind: 'list', items: lazy(() => blob(0, ziplistEntries)) };
    case RdbType.LIST_QUICKLIST:
    case RdbType.LIST_QUICKLIST_2:
      return { kind: 'list', items: quicklist(at, blob, type) };
    case RdbType.SET:
      return { kind: 'set', members: strings(at, 1) };
    case RdbType.SET_INTSET:
      return { kind: 'set', members: lazy(() => blob(0, intsetMembers)) };
    case RdbType.SET_LISTPACK:
      return { kind: 'set', members: lazy(() => blob(0, listpackEntries)) };
    case RdbType.ZSET:
    case RdbType.ZSET_2:
      return { kind: 'zset', members: zsetPairs(at, type) };
    case RdbType.ZSET_ZIPLIST:
      return { kind: 'zset', members: zsetBlob(() => blob(0, ziplistEntries), fileOffset) };
    case RdbType.ZSET_LISTPACK:
      return { kind: 'zset', members: zsetBlob(() => blob(0, listpackEntries), fileOffset) };
    default:
      return decodeOther(type, fileOffset, at, blob);
  }
}

function decodeOther(type: number, fileOffset: number, at: () => RdbCursor, blob: ReadBlob): RdbValue {
  switch (type) {
    case RdbType.HASH:
      return { kind: 'hash', fieldExpiries: false, fields: pairsToFields(strings(at, 2)) };
    case RdbType.HASH_ZIPMAP:
      return { kind: 'hash', fieldExpiries: false, fields: pairsToFields(lazy(() => blob(0, zipmapPairs))) };
    case RdbType.HASH_ZIPLIST:
      return { kind: 'hash', fieldExpiries: false, fields: pairsToFields(lazy(() => blob(0, ziplistEntries))) };
    case RdbType.HASH_LISTPACK:
      return { kind: 'hash', fieldExpiries: false, fields: pairsToFields(lazy(() => blob(0, listpackEntries))) };
    case RdbType.HASH_LISTPACK_EX:
    case RdbType.HASH_LISTPACK_EX_PRE_GA:
      return { kind: 'hash', fieldExpiries: true, fields: listpackExFields(blob, type === RdbType.HASH_LISTPACK_EX ? 8 : 0) };
    case RdbType.HASH_METADATA:
    case RdbType.HASH_METADATA_PRE_GA:
      return { kind: 'hash', fieldExpiries: true, fields: metadataFields(at, type) };
    case RdbType.STREAM_LISTPACKS:
    case RdbType.STREAM_LISTPACKS_2:
    case RdbType.STREAM_LISTPACKS_3:
      return decodeStream(at(), type, blob);
    case RdbType.MODULE_2:
      return decodeModule(at());
    default:
      throw new RdbFormatError(`cannot decode an object of type ${rdbTypeName(type)} at offset ${fileOffset}`, fileOffset);
  }
}

/** An iterable that computes its array on each iteration (nothing is decoded until asked). */
function lazy<T>(make: () => T[]): Iterable<T> {
  return { [Symbol.iterator]: () => make()[Symbol.iterator]() };
}

/** `perItem` × n RDB strings after a count (list, set: 1 per element; hash: 2 per field). */
function strings(at: () => RdbCursor, perItem: number): Iterable<Buffer> {
  return {
    *[Symbol.iterator]() {
      const c = at();
      const n = c.length('an element count') * perItem;
      for (let i = 0; i < n; i++) yield c.string();
    },
  };
}

function quicklist(at: () => RdbCursor, blob: ReadBlob, type: number): Iterable<Buffer> {
  return {
    *[Symbol.iterator]() {
      const c = at();
      const nodes = c.length('a node count');
      for (let i = 0; i < nodes; i++) {
        // Quicklist 2 nodes: container 1 is PLAIN (the element itself), 2 is PACKED (a listpack).
        const container = type === RdbType.LIST_QUICKLIST_2 ? c.length('a node container') : 2;
        const start = c.pos;
        const node = c.string();
        if (container === 1) yield node;
        else if (container === 2) yield* blob(start, type === RdbType.LIST_QUICKLIST ? ziplistEntries : listpackEntries, node);
        else c.fail(`unknown quicklist node container ${container}`, c.base + start);
      }
    },
  };
}

function zsetPairs(at: () => RdbCursor, type: number): Iterable<ZsetMember> {
  return {
    *[Symbol.iterator]() {
      const c = at();
      const n = c.length('a member count');
      for (let i = 0; i < n; i++) {
        const member = c.string();
        yield { member, score: type === RdbType.ZSET_2 ? c.binaryDouble() : c.textDouble() };
      }
    },
  };
}

function zsetBlob(entries: () => Buffer[], fileOffset: number): Iterable<ZsetMember> {
  return {
    *[Symbol.iterator]() {
      const flat = entries();
      for (let i = 0; i + 1 < flat.length; i += 2) yield { member: flat[i]!, score: parseScore(flat[i + 1]!, fileOffset) };
    },
  };
}

function pairsToFields(flat: Iterable<Buffer>): Iterable<HashField> {
  return {
    *[Symbol.iterator]() {
      let field: Buffer | undefined;
      for (const item of flat) {
        if (field === undefined) field = item;
        else {
          yield { field, value: item, expireAtMs: null };
          field = undefined;
        }
      }
    },
  };
}

/** HASH_LISTPACK_EX: an 8-byte minimum expiry (GA only), then a listpack of field, value, expiry. */
function listpackExFields(blob: ReadBlob, skip: number): Iterable<HashField> {
  return {
    *[Symbol.iterator]() {
      const { pairs, expireAtMs } = blob(skip, hashListpackExEntries);
      for (let i = 0; i < expireAtMs.length; i++) yield { field: pairs[2 * i]!, value: pairs[2 * i + 1]!, expireAtMs: expireAtMs[i]! };
    },
  };
}

/** HASH_METADATA: a minimum expiry, then (ttl, field, value); ttl 0 is none, else expiry - min + 1. PRE_GA: absolute. */
function metadataFields(at: () => RdbCursor, type: number): Iterable<HashField> {
  return {
    *[Symbol.iterator]() {
      const c = at();
      const min = type === RdbType.HASH_METADATA ? c.msTime() : 0;
      const n = c.length('a field count');
      for (let i = 0; i < n; i++) {
        const ttl = c.length('a field expiry');
        const field = c.string();
        const value = c.string();
        const expireAtMs = ttl === 0 ? null : type === RdbType.HASH_METADATA ? ttl + min - 1 : ttl;
        yield { field, value, expireAtMs };
      }
    },
  };
}
