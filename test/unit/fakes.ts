import type { KeySink, KeySource, MigrationRecord, ReadResult, ScanPage, WriteMode, WriteResult } from '../../src/core/contracts.js';
import { reverseBits64 } from '../../src/core/scan-position.js';

/** A cursor whose scan position is page × 2^40, so fake cursors order like real ones. */
export function fakeCursor(page: number): string {
  return page === 0 ? '0' : reverseBits64(BigInt(page) << 40n).toString();
}

/** An in-memory keyspace served in fixed pages, as SCAN would. */
export class FakeSource implements KeySource {
  readonly scans: string[] = [];

  constructor(
    private readonly keys: Buffer[],
    private readonly pageSize: number,
  ) {}

  async scan(cursor: string): Promise<ScanPage> {
    this.scans.push(cursor);
    const pages = Math.ceil(this.keys.length / this.pageSize);
    const page = cursor === '0' ? 0 : [...Array(pages).keys()].find((p) => fakeCursor(p) === cursor)!;
    const next = page + 1 >= pages ? '0' : fakeCursor(page + 1);
    return { cursor: next, keys: this.keys.slice(page * this.pageSize, (page + 1) * this.pageSize) };
  }

  async read(keys: Buffer[]): Promise<ReadResult> {
    return { records: keys.map((key) => ({ key, payload: Buffer.concat([Buffer.from('v:'), key]), pttlMs: 0, readAtMs: 0 })), gone: 0 };
  }
}

/** A target that stores records and can be told to fail on its n-th write, after applying it. */
export class FakeSink implements KeySink {
  readonly data = new Map<string, Buffer>();
  readonly modes: WriteMode[] = [];
  failOnWrite?: number;

  async countKeys(): Promise<number> {
    return this.data.size;
  }

  async write(records: MigrationRecord[], mode: WriteMode): Promise<WriteResult> {
    this.modes.push(mode);
    const existing: Buffer[] = [];
    let written = 0;
    for (const r of records) {
      const id = r.key.toString('hex');
      if (mode === 'keep' && this.data.has(id)) existing.push(r.key);
      else {
        this.data.set(id, r.payload);
        written++;
      }
    }
    if (this.modes.length === this.failOnWrite)
      throw Object.assign(new Error('connection lost after the write landed'), { retryable: true });
    return { written, bytes: written, existing, expired: 0 };
  }
}

export function keys(n: number, prefix = 'k'): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.from(`${prefix}${i}`));
}
