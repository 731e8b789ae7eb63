import { InternalError } from '../core/errors.js';
import { crc64 } from '../struct/crc64.js';
import type { ByteSource } from './byte-source.js';
import { NeedMoreBytes, RdbCursor } from './rdb-cursor.js';
import { RdbFormatError } from './rdb-errors.js';
import { parseRecords, type WalkState } from './rdb-records.js';
import type { RdbHeader, RdbRecord, WalkOptions } from './rdb-types.js';
import { ReadWindow } from './read-window.js';

/** Bytes asked for at least per refill (the file source reads 1 MiB chunks; S3 ranges stream). */
const MIN_READ = 1 << 20;

/** A fresh walk state for `opts` (resume position, stop offset). */
export function walkState(header: RdbHeader, opts: WalkOptions): WalkState {
  const from = opts.from ?? { offset: header.bodyOffset, db: 0 };
  return { version: header.version, db: from.db, next: from.offset, to: opts.to ?? Number.POSITIVE_INFINITY, done: false };
}

/**
 * The walk itself: reads the range once, front to back, in a window that grows only while one record
 * does not fit. A record cut by the window's end is parsed again from its start once more bytes
 * arrived (records are small; a big one doubles the window each time, so it costs O(size)). Yields
 * the records of each parse round (a window's worth). Verifies the file's CRC-64 when the walk
 * covers the whole body and the caller did not opt out.
 */
export async function* walkRounds(source: ByteSource, header: RdbHeader, state: WalkState, opts: WalkOptions): AsyncGenerator<RdbRecord[]> {
  const size = await source.size();
  const whole = state.next === header.bodyOffset && state.to === Number.POSITIVE_INFINITY;
  const checked = opts.verifyChecksum !== false && whole;
  // A source that can checksum off the main thread does (a local file); any other is hashed here, window by window.
  const offThread = checked && source.checksum ? new OffThreadChecksum(source, size, opts.signal) : undefined;
  const crc = checked && !offThread ? { value: 0n, at: 0 } : undefined;
  const window = new ReadWindow(source, crc ? 0 : state.next, size, opts.signal);
  const cursor = new RdbCursor(window.buf, 0, window.base, false);
  let want = state.next + MIN_READ;
  try {
    while (!state.done) {
      await window.fill(crc ? crc.at : state.next, want);
      const out: RdbRecord[] = [];
      const round = parseRound(cursor, window, state, out);
      // The checksum covers every byte before it, the EOF opcode included.
      if (crc) hashUpTo(window, crc, state.eof ? state.eof.at + 1 : state.next);
      // Records before a format error are whole and valid: hand them out, then the error.
      yield out;
      if (round.error) throw round.error;
      if (round.needed !== undefined) {
        if (window.final) throw new InternalError(`RDB walker asked for more bytes at the end of ${source.name}`);
        want = Math.max(round.needed, state.next + 2 * (window.end - state.next), window.end + MIN_READ);
      }
    }
    if (state.eof && crc) checkChecksum(crc.value, state.eof, source.name);
    if (state.eof && offThread) checkChecksum(await offThread.upTo(state.eof), state.eof, source.name);
  } finally {
    offThread?.stop();
    await window.close();
  }
}

/**
 * The file's checksum computed by the source off the main thread while the walk runs. It covers
 * every byte before the last 8 (where EOF is the last record, as Redis writes it); a file with
 * bytes after its checksum is hashed again up to its EOF record once the walk found it.
 */
class OffThreadChecksum {
  private readonly abort = new AbortController();
  private readonly early: Promise<bigint> | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly source: ByteSource,
    private readonly size: number,
    private readonly signal?: AbortSignal,
  ) {
    this.onAbort = () => this.abort.abort(signal?.reason);
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (size > 8) {
      this.early = source.checksum!(size - 8, this.abort.signal);
      this.early.catch(() => {}); // awaited by upTo(), or dropped when the walk fails first
    }
  }

  /** The CRC-64 of every byte before the checksum of the EOF record `eof` (0n when the file has none to check). */
  async upTo(eof: { at: number; checksum: bigint | null }): Promise<bigint> {
    if (eof.checksum === null || eof.checksum === 0n) return 0n;
    if (this.early && eof.at + 1 === this.size - 8) return this.early;
    return this.source.checksum!(eof.at + 1, this.abort.signal);
  }

  /** Stops the thread if it still runs (the walk failed, or the file has no checksum). */
  stop(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.abort.abort();
  }
}

/** One parse round over the window: the offset a cut record needs, or the error that stopped it. */
function parseRound(cursor: RdbCursor, window: ReadWindow, state: WalkState, out: RdbRecord[]): { needed?: number; error?: unknown } {
  cursor.buf = window.buf;
  cursor.base = window.base;
  cursor.pos = state.next - window.base;
  cursor.final = window.final;
  try {
    parseRecords(cursor, state, out);
    return {};
  } catch (err) {
    return err instanceof NeedMoreBytes ? { needed: err.offset } : { error: err };
  }
}

function hashUpTo(window: ReadWindow, crc: { value: bigint; at: number }, offset: number): void {
  if (offset <= crc.at) return;
  crc.value = crc64(window.buf.subarray(crc.at - window.base, offset - window.base), crc.value);
  crc.at = offset;
}

function checkChecksum(value: bigint, eof: { at: number; checksum: bigint | null }, name: string): void {
  // 0: the server had rdbchecksum off.
  if (eof.checksum === null || eof.checksum === 0n || eof.checksum === value) return;
  const at = eof.at + 1;
  throw new RdbFormatError(
    `${name} fails its CRC-64 check (file says ${hex(eof.checksum)}, its bytes give ${hex(value)}, ` +
      `checksum at offset ${at}): the file is corrupt; take a fresh copy of the backup`,
    at,
  );
}

function hex(n: bigint): string {
  return `0x${n.toString(16).padStart(16, '0')}`;
}
