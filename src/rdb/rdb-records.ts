import { RDB_CHECKSUM_SINCE, RDB_MAX_VERSION, RdbOpcode } from './rdb-constants.js';
import type { RdbCursor } from './rdb-cursor.js';
import { RdbFormatError, RdbUnsupportedError } from './rdb-errors.js';
import type { RdbFunction, RdbHeader, RdbKey, RdbRecord } from './rdb-types.js';
import { skipModuleValue, skipObject } from './skip-object.js';

/** Where a walk is, between two parse rounds. */
export interface WalkState {
  version: number;
  db: number;
  /** Offset of the next record to parse: always a record boundary. */
  next: number;
  /** Stop before a record starting at or after this offset. */
  to: number;
  done: boolean;
  /** Set at the EOF record: its offset, and the checksum after it (null: the version has none). */
  eof?: { at: number; checksum: bigint | null };
  /**
   * Skip-only mode (the splitter): key records are skipped without building a record or decoding the
   * key, and reported here by their start offset and db instead.
   */
  onKey?: (start: number, db: number) => void;
}

/** Object types are the bytes below the opcodes (RDB_OPCODE_SLOT_INFO is the lowest, 244). */
const FIRST_OPCODE = RdbOpcode.SLOT_INFO;
/** Opcodes that prefix a key record (its expiry, its LRU/LFU data). */
const KEY_PREFIXES: ReadonlySet<number> = new Set([RdbOpcode.EXPIRETIME_MS, RdbOpcode.EXPIRETIME, RdbOpcode.IDLE, RdbOpcode.FREQ]);

/**
 * Parses the magic, the version and the AUX fields that follow; bodyOffset is the first other
 * record. Throws NeedMoreBytes when the buffer ends first.
 */
export function parseHeader(c: RdbCursor, sourceName: string): RdbHeader {
  const magic = c.bytes(9, 'the RDB header');
  if (magic.toString('latin1', 0, 5) !== 'REDIS' || !/^\d{4}$/.test(magic.toString('latin1', 5, 9))) {
    const shown = JSON.stringify(magic.toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
    throw new RdbFormatError(`${sourceName} is not a Redis RDB file: it starts with ${shown}, not REDIS and a 4-digit version`, 0);
  }
  const version = Number(magic.toString('latin1', 5, 9));
  if (version < 1 || version > RDB_MAX_VERSION) {
    throw new RdbUnsupportedError(
      `${sourceName} is in RDB format version ${version}, newer than this reader understands (up to ` +
        `${RDB_MAX_VERSION}, written by Redis 7.4): save it with Redis 7.4 or older, or upgrade redis-ferry`,
      5,
    );
  }
  const aux = new Map<string, Buffer>();
  for (;;) {
    const at = c.pos;
    if (c.u8() !== RdbOpcode.AUX) {
      c.pos = at;
      return { version, aux, bodyOffset: c.offset() };
    }
    const name = c.string().toString('latin1');
    aux.set(name, Buffer.from(c.string()));
  }
}

/**
 * Parses whole records from the cursor into `out` until the buffer runs out (NeedMoreBytes
 * propagates; records before it are complete and state.next is past them), `to`, or EOF.
 */
export function parseRecords(c: RdbCursor, state: WalkState, out: RdbRecord[]): void {
  while (!state.done) {
    const start = c.offset();
    if (start >= state.to) {
      state.done = true;
      return;
    }
    const op = c.u8();
    if (op < FIRST_OPCODE || KEY_PREFIXES.has(op)) {
      if (state.onKey) {
        skipKey(c, op);
        state.onKey(start, state.db);
      } else {
        out.push(parseKey(c, state, op, start));
      }
    } else {
      const fn = parseOther(c, state, op, start);
      if (fn) out.push(fn);
    }
    state.next = c.offset();
  }
}

/** A key record: optional EXPIRETIME(_MS), IDLE, FREQ prefixes, then type, key, object. */
function parseKey(c: RdbCursor, state: WalkState, first: number, start: number): RdbKey {
  let op = first;
  let expireAtMs: number | null = null;
  let typeAt = start;
  while (op >= FIRST_OPCODE) {
    if (op === RdbOpcode.EXPIRETIME_MS) expireAtMs = c.msTime();
    else if (op === RdbOpcode.EXPIRETIME) expireAtMs = c.secondsTime() * 1000;
    else if (op === RdbOpcode.IDLE) c.lengthOrEncoding();
    else if (op === RdbOpcode.FREQ) c.skip(1, 'an LFU frequency');
    else c.fail(`opcode ${op} after an expiry/idle/freq prefix (expected an object type)`, typeAt);
    typeAt = c.offset();
    op = c.u8();
  }
  const key = c.string();
  const objectStart = c.pos;
  skipObject(c, op, typeAt);
  return {
    kind: 'key',
    db: state.db,
    key,
    type: op,
    expireAtMs,
    object: c.buf.subarray(objectStart, c.pos),
    start,
    end: c.offset(),
  };
}

/** A key record, skipped: the prefixes, the key, the object. */
function skipKey(c: RdbCursor, first: number): void {
  let op = first;
  let typeAt = c.offset() - 1;
  while (op >= FIRST_OPCODE) {
    if (op === RdbOpcode.EXPIRETIME_MS) c.skip(8, 'an expiry');
    else if (op === RdbOpcode.EXPIRETIME) c.skip(4, 'an expiry');
    else if (op === RdbOpcode.IDLE) c.lengthOrEncoding();
    else if (op === RdbOpcode.FREQ) c.skip(1, 'an LFU frequency');
    else c.fail(`opcode ${op} after an expiry/idle/freq prefix (expected an object type)`, typeAt);
    typeAt = c.offset();
    op = c.u8();
  }
  c.skipString();
  skipObject(c, op, typeAt);
}

/** Every record that is not a key; returns the function libraries, which the caller yields. */
function parseOther(c: RdbCursor, state: WalkState, op: number, start: number): RdbFunction | undefined {
  switch (op) {
    case RdbOpcode.SELECTDB:
      state.db = c.length('a db number');
      return undefined;
    case RdbOpcode.RESIZEDB:
      c.length('a db size');
      c.length('an expires size');
      return undefined;
    case RdbOpcode.SLOT_INFO:
      c.length('a slot id');
      c.length('a slot size');
      c.length('a slot expires size');
      return undefined;
    case RdbOpcode.AUX:
      c.skipString();
      c.skipString();
      return undefined;
    case RdbOpcode.MODULE_AUX:
      return skipModuleAux(c);
    case RdbOpcode.FUNCTION2:
      return { kind: 'function', code: c.string(), start, end: c.offset() };
    case RdbOpcode.FUNCTION_PRE_GA:
      return parsePreGaFunction(c, start);
    case RdbOpcode.EOF:
      return parseEof(c, state, start);
    default:
      return c.fail(`unknown RDB opcode ${op}`, start);
  }
}

function skipModuleAux(c: RdbCursor): undefined {
  c.lengthOrEncoding();
  const whenOpcode = c.length('a module aux "when" opcode');
  if (whenOpcode !== 2) c.fail(`module aux data with "when" opcode ${whenOpcode} (expected 2)`);
  c.length('a module aux "when"');
  skipModuleValue(c);
  return undefined;
}

/**
 * The FUNCTION record of Redis 7.0-rc1/rc2: name, engine, optional description, code without the
 * `#!engine name=…` line that FUNCTION LOAD now requires; the line is put back.
 */
function parsePreGaFunction(c: RdbCursor, start: number): RdbFunction {
  const name = c.string();
  const engine = c.string();
  if (c.length('a description flag') !== 0) c.skipString();
  const body = c.string();
  const shebang = Buffer.from(`#!${engine.toString('latin1').toLowerCase()} name=${name.toString('latin1')}\n`, 'latin1');
  return { kind: 'function', code: Buffer.concat([shebang, body]), start, end: c.offset() };
}

function parseEof(c: RdbCursor, state: WalkState, start: number): undefined {
  const checksum = state.version >= RDB_CHECKSUM_SINCE ? c.bytes(8, 'the checksum').readBigUInt64LE(0) : null;
  state.eof = { at: start, checksum };
  state.done = true;
  return undefined;
}
