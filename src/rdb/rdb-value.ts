/**
 * A value decoded from an RDB object, for writing by type (big keys, targets that refuse the file's
 * RDB version, filters by type). Collections are not arrays but iterables that decode as they go: a
 * quicklist one node at a time, a stream one node at a time, so a writer can send a big key in
 * chunks (RPUSH/SADD/ZADD/HSET/XADD of a few hundred parts each) while holding only the object's
 * bytes and one node decoded. Each iterable can be iterated more than once. Elements are Buffers
 * (views of the object where possible, so keep the object alive with them); integers stored
 * compactly come back as their decimal text, as Redis replies them. A corrupt blob throws
 * RdbFormatError (with its file offset) from the iteration that reaches it.
 */
export type RdbValue = RdbString | RdbList | RdbSet | RdbZset | RdbHash | RdbStream | RdbModule;

export interface RdbString {
  kind: 'string';
  value: Buffer;
}

export interface RdbList {
  kind: 'list';
  /** The elements, head to tail. */
  items: Iterable<Buffer>;
}

export interface RdbSet {
  kind: 'set';
  members: Iterable<Buffer>;
}

export interface ZsetMember {
  member: Buffer;
  /** The score as Redis holds it (a double; ±Infinity allowed). String(score) is what ZADD reads back exactly. */
  score: number;
}

export interface RdbZset {
  kind: 'zset';
  /** In the file's order: score order for listpacks, highest score first for skiplists (Redis saves those tail first). */
  members: Iterable<ZsetMember>;
}

export interface HashField {
  field: Buffer;
  value: Buffer;
  /** Redis 7.4 field expiry (HPEXPIREAT), absolute ms; null when the field has none. */
  expireAtMs: number | null;
}

export interface RdbHash {
  kind: 'hash';
  /** In the file's order (a hash table's is arbitrary). Expired fields are included: skipping them is the writer's call. */
  fields: Iterable<HashField>;
  /** True for the 7.4 field-TTL encodings (some fields may carry expireAtMs). */
  fieldExpiries: boolean;
}

export interface StreamId {
  ms: bigint;
  seq: bigint;
}

export interface StreamEntry {
  id: StreamId;
  /** field, value, field, value… */
  fields: Buffer[];
}

export interface StreamPendingEntry {
  id: StreamId;
  /** When it was last delivered (ms since the epoch) and how many times. */
  deliveryTimeMs: number;
  deliveryCount: number;
  /** The consumer that owns it (from that consumer's PEL); null if no consumer lists it. */
  consumer: Buffer | null;
}

export interface StreamConsumer {
  name: Buffer;
  seenTimeMs: number;
  /** Last successful interaction (RDB stream v3, Redis 7.2+); null in older files. */
  activeTimeMs: number | null;
  /** Ids of the entries it owns (each also in the group's `pending`). */
  pending: StreamId[];
}

export interface StreamGroup {
  name: Buffer;
  /** The group's last delivered id (XGROUP CREATE/SETID). */
  lastId: StreamId;
  /** ENTRIESREAD (RDB stream v2, Redis 7.0+); null when the server did not know it, or in older files. */
  entriesRead: bigint | null;
  pending: StreamPendingEntry[];
  consumers: StreamConsumer[];
}

export interface RdbStream {
  kind: 'stream';
  /** Live entries in id order (deleted ones are not in it), decoded one node at a time. */
  entries: Iterable<StreamEntry>;
  /** XLEN. */
  length: bigint;
  /** XSETID's id: the last id ever added (entries may have been deleted since). */
  lastId: StreamId;
  /** RDB stream v2 (Redis 7.0+) metadata, null in older files. */
  firstId: StreamId | null;
  maxDeletedId: StreamId | null;
  entriesAdded: bigint | null;
  /** Consumer groups with their PELs and consumers, read eagerly (they sit after the entries). */
  groups: StreamGroup[];
}

/** A module value: never decoded (the module alone knows its layout); only RESTORE can write it. */
export interface RdbModule {
  kind: 'module';
  /** The module type's 9-character name (e.g. ReJSON-RL) and its encoding version. */
  typeName: string;
  encodingVersion: number;
}
