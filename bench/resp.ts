/**
 * Just enough RESP for the bench: a growable command writer (to generate the dataset and the
 * RESTORE file without a client library in the way) and an incremental reply parser (for the
 * raw-socket reader). Not a general client: no RESP3, no push messages.
 */

const CRLF = 0x0d;

/** Builds RESP commands into one growing buffer; `take()` hands the bytes over and starts anew. */
export class RespWriter {
  private buf: Buffer;
  length = 0;

  constructor(private readonly initialSize = 1 << 21) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  private header(prefix: string, n: number): void {
    const text = `${prefix}${n}\r\n`;
    this.ensure(text.length);
    this.length += this.buf.write(text, this.length, 'latin1');
  }

  /** Starts a command of `argc` arguments; follow with exactly that many bulk*() calls. */
  array(argc: number): this {
    this.header('*', argc);
    return this;
  }

  /** An ASCII argument (callers only pass ASCII; latin1 keeps length === byte length). */
  bulk(value: string | number): this {
    const text = typeof value === 'number' ? String(value) : value;
    this.header('$', text.length);
    this.ensure(text.length + 2);
    this.length += this.buf.write(text, this.length, 'latin1');
    this.buf[this.length++] = 0x0d;
    this.buf[this.length++] = 0x0a;
    return this;
  }

  /** A binary argument: `source[start, end)`. */
  bulkBytes(source: Buffer, start = 0, end = source.length): this {
    const n = end - start;
    this.header('$', n);
    this.ensure(n + 2);
    source.copy(this.buf, this.length, start, end);
    this.length += n;
    this.buf[this.length++] = 0x0d;
    this.buf[this.length++] = 0x0a;
    return this;
  }

  command(...args: (string | number | Buffer)[]): this {
    this.array(args.length);
    for (const a of args) {
      if (Buffer.isBuffer(a)) this.bulkBytes(a);
      else this.bulk(a);
    }
    return this;
  }

  /** Appends already-encoded RESP (e.g. a command built in a scratch writer). */
  appendRaw(bytes: Buffer): this {
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
    return this;
  }

  /** The bytes written so far, without handing them over: valid until the next write or reset(). */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  /** The bytes written so far; the writer continues on a fresh buffer (the old one is not reused). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = Buffer.allocUnsafe(Math.max(this.initialSize, 1024));
    this.length = 0;
    return out;
  }
}

/** An error reply, returned (not thrown) so a pipeline's other replies stay usable. */
export class RespError extends Error {
  override name = 'RespError';
}

export type RespReply = string | number | Buffer | null | RespError | RespReply[];

const INCOMPLETE = Symbol('incomplete');

/**
 * Incremental RESP2 parser. Bulk strings are returned as views into the received chunk (no copy);
 * a reply split across chunks is re-parsed from its start once more bytes arrive.
 */
export class RespParser {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  feed(chunk: Buffer): void {
    this.buf = this.pos >= this.buf.length ? chunk : Buffer.concat([this.buf.subarray(this.pos), chunk]);
    this.pos = 0;
  }

  /** The next complete reply, or INCOMPLETE until more bytes are fed. */
  next(): RespReply | typeof INCOMPLETE {
    const start = this.pos;
    const value = this.parse();
    if (value === INCOMPLETE) this.pos = start;
    return value;
  }

  static readonly INCOMPLETE: typeof INCOMPLETE = INCOMPLETE;

  private readInt(from: number, to: number): number {
    const buf = this.buf;
    let i = from;
    let sign = 1;
    if (buf[i] === 0x2d) {
      sign = -1;
      i++;
    }
    let n = 0;
    for (; i < to; i++) n = n * 10 + (buf[i]! - 0x30);
    return sign * n;
  }

  private parse(): RespReply | typeof INCOMPLETE {
    const buf = this.buf;
    const type = buf[this.pos];
    if (type === undefined) return INCOMPLETE;
    const eol = buf.indexOf(CRLF, this.pos + 1);
    if (eol < 0 || eol + 1 >= buf.length) return INCOMPLETE;
    const lineStart = this.pos + 1;
    switch (type) {
      case 0x24: {
        // '$' bulk string
        const len = this.readInt(lineStart, eol);
        if (len < 0) {
          this.pos = eol + 2;
          return null;
        }
        const dataStart = eol + 2;
        if (dataStart + len + 2 > buf.length) return INCOMPLETE;
        this.pos = dataStart + len + 2;
        return buf.subarray(dataStart, dataStart + len);
      }
      case 0x2a: {
        // '*' array
        const n = this.readInt(lineStart, eol);
        this.pos = eol + 2;
        if (n < 0) return null;
        const items: RespReply[] = new Array(n);
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items[i] = item;
        }
        return items;
      }
      case 0x3a: // ':' integer
        this.pos = eol + 2;
        return this.readInt(lineStart, eol);
      case 0x2b: // '+' simple string
        this.pos = eol + 2;
        return buf.toString('latin1', lineStart, eol);
      case 0x2d: // '-' error
        this.pos = eol + 2;
        return new RespError(buf.toString('utf8', lineStart, eol));
      default:
        throw new Error(`RESP protocol error: unexpected byte 0x${type.toString(16)}`);
    }
  }
}
