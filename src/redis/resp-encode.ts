/** One command: its name and arguments, as ASCII strings, numbers or raw bytes. */
export type CommandArgs = readonly (Buffer | string | number)[];

const CRLF = Buffer.from('\r\n');

function encodeBulk(text: string): Buffer {
  const body = Buffer.from(text);
  return Buffer.concat([Buffer.from(`$${body.length}\r\n`, 'latin1'), body, CRLF]);
}

/**
 * Encoded `$<len>\r\n<text>\r\n` of the words the data path repeats in every batch: converting a
 * string costs a call per use, copying its bytes does not. A fixed list, so nothing else (a
 * password, a MATCH pattern) is ever kept.
 */
const KEYWORDS = ['RESTORE', 'REPLACE', 'DUMP', 'PTTL', 'EXISTS', 'SCAN', 'COUNT', 'MATCH', 'TYPE', 'MEMORY', 'USAGE', 'ASKING', 'WAIT'];
const bulkCache = new Map<string, Buffer>(KEYWORDS.map((word) => [word, encodeBulk(word)]));

function bulkString(text: string): Buffer {
  return bulkCache.get(text) ?? encodeBulk(text);
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes a non-negative integer's decimal digits at `at`; returns the new offset. */
function writeDigits(out: Buffer, n: number, at: number): number {
  const end = at + digits(n);
  let i = end;
  do {
    out[--i] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** Writes `<prefix><n>\r\n` (the `*3\r\n` and `$512\r\n` headers). */
function writeHeader(out: Buffer, prefix: number, n: number, at: number): number {
  out[at++] = prefix;
  at = writeDigits(out, n, at);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

const STAR = 42;
const DOLLAR = 36;

/** Numbers go as their decimal text; non-integers and negatives through String(). */
function isPlainCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Encodes many commands as one RESP buffer, sized exactly and written once: on the copy's hot path
 * this replaces thousands of small allocations per batch. Keys and payloads are copied as bytes,
 * headers and integers are written digit by digit, and repeated strings come from a cache, since
 * per-call string encoding was the largest client cost of a RESTORE batch.
 */
export function encodeCommands(commands: readonly CommandArgs[]): Buffer {
  let size = 0;
  for (const command of commands) {
    size += 3 + digits(command.length);
    for (const arg of command) {
      if (typeof arg === 'string') size += bulkString(arg).length;
      else if (typeof arg === 'number') size += bulkBytes(isPlainCount(arg) ? digits(arg) : String(arg).length);
      else size += bulkBytes(arg.length);
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const command of commands) {
    at = writeHeader(out, STAR, command.length, at);
    for (const arg of command) {
      if (typeof arg === 'string') at += bulkString(arg).copy(out, at);
      else if (typeof arg === 'number')
        at = isPlainCount(arg) ? writeCount(out, arg, at) : writeBulk(out, Buffer.from(String(arg), 'latin1'), at);
      else at = writeBulk(out, arg, at);
    }
  }
  return out;
}

function bulkBytes(length: number): number {
  return 3 + digits(length) + length + 2;
}

function writeBulk(out: Buffer, bytes: Buffer, at: number): number {
  at = writeHeader(out, DOLLAR, bytes.length, at);
  at += bytes.copy(out, at);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

function writeCount(out: Buffer, n: number, at: number): number {
  at = writeHeader(out, DOLLAR, digits(n), at);
  at = writeDigits(out, n, at);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

/**
 * Every command for every key, key by key, each command's words followed by the key (e.g. with
 * [['DUMP'], ['PTTL']]: DUMP k1, PTTL k1, DUMP k2, …): the read side of a batch, encoded without
 * building a command array per key.
 */
export function encodeKeyCommands(commands: readonly (readonly string[])[], keys: readonly Buffer[]): Buffer {
  const heads = commands.map((words) => {
    const encoded = words.map(bulkString);
    return { arity: words.length + 1, encoded, bytes: 3 + digits(words.length + 1) + encoded.reduce((n, w) => n + w.length, 0) };
  });
  let size = 0;
  for (const key of keys) {
    for (const head of heads) size += head.bytes + bulkBytes(key.length);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const key of keys) {
    for (const head of heads) {
      at = writeHeader(out, STAR, head.arity, at);
      for (const word of head.encoded) at += word.copy(out, at);
      at = writeBulk(out, key, at);
    }
  }
  return out;
}

/** One RESTORE of a batch: the key, its remaining TTL (ms, 0: none) and its DUMP payload. */
export interface RestoreCommand {
  record: { key: Buffer; payload: Buffer };
  ttl: number;
  /** Send ASKING before it (a slot being imported by this node). */
  asking?: boolean;
}

const ASKING = encodeCommands([['ASKING']]);

/**
 * `RESTORE key ttl payload [REPLACE]` for every item (each after an ASKING where asked), then the
 * `tail` commands: the write side of a batch, encoded without a command array per key.
 */
export function encodeRestores(items: readonly RestoreCommand[], replace: boolean, tail: readonly CommandArgs[] = []): Buffer {
  const restore = bulkString('RESTORE');
  const replaceWord = bulkString('REPLACE');
  const tailBytes = tail.length > 0 ? encodeCommands(tail) : undefined;
  const fixed = 4 + restore.length + (replace ? replaceWord.length : 0); // "*4\r\n"/"*5\r\n" + words
  let size = tailBytes?.length ?? 0;
  for (const { record, ttl, asking } of items) {
    if (!isPlainCount(ttl)) throw new RangeError(`RESTORE ttl must be a whole number of ms, got ${ttl}`);
    size += fixed + bulkBytes(record.key.length) + bulkBytes(digits(ttl)) + bulkBytes(record.payload.length) + (asking ? ASKING.length : 0);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { record, ttl, asking } of items) {
    if (asking) at += ASKING.copy(out, at);
    at = writeHeader(out, STAR, replace ? 5 : 4, at);
    at += restore.copy(out, at);
    at = writeBulk(out, record.key, at);
    at = writeCount(out, ttl, at);
    at = writeBulk(out, record.payload, at);
    if (replace) at += replaceWord.copy(out, at);
  }
  if (tailBytes) tailBytes.copy(out, at);
  return out;
}
