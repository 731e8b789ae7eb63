import { type FilterConfig, noFilter } from '../../src/core/config.js';
import type {
  BulkWriteObserver,
  KeySink,
  KeySource,
  MigrationRecord,
  ReadResult,
  ScanPage,
  WriteMode,
  WriteResult,
} from '../../src/core/contracts.js';
import { createKeyFilter, type KeyFilter } from '../../src/core/key-filter.js';
import { reverseBits64 } from '../../src/core/scan-position.js';

/** A key filter with only the given rules. */
export function keyFilter(rules: Partial<FilterConfig>): KeyFilter {
  return createKeyFilter({ ...noFilter(), ...rules });
}

/** A filter that keeps every key. */
export const passAll = keyFilter({});

/** A cursor whose scan position is page × 2^40, so fake cursors order like real ones. */
export function fakeCursor(page: number): string {
  return page === 0 ? '0' : reverseBits64(BigInt(page) << 40n).toString();
}

export interface FakeSourceOptions {
  /** Records per part: a read of more keys hands the remainder back as `rest` (see ReadResult.rest). */
  partSize?: number;
  /** Keys reported as too big to DUMP whole (ReadResult.big), by their text. */
  big?: string[];
}

/** An in-memory keyspace served in fixed pages, as SCAN would. */
export class FakeSource implements KeySource {
  readonly scans: string[] = [];

  constructor(
    private readonly keys: Buffer[],
    private readonly pageSize: number,
    private readonly options: FakeSourceOptions = {},
  ) {}

  async scan(cursor: string): Promise<ScanPage> {
    this.scans.push(cursor);
    const pages = Math.ceil(this.keys.length / this.pageSize);
    const page = cursor === '0' ? 0 : [...Array(pages).keys()].find((p) => fakeCursor(p) === cursor)!;
    const next = page + 1 >= pages ? '0' : fakeCursor(page + 1);
    return { cursor: next, keys: this.keys.slice(page * this.pageSize, (page + 1) * this.pageSize) };
  }

  async read(keys: Buffer[]): Promise<ReadResult> {
    const isBig = (key: Buffer) => this.options.big?.includes(key.toString()) ?? false;
    const big = keys.filter(isBig).map((key) => ({ key, bytes: 100 }));
    const part = this.readPart(keys.filter((key) => !isBig(key)));
    return big.length > 0 ? { ...part, big } : part;
  }

  private readPart(keys: Buffer[]): ReadResult {
    const n = this.options.partSize ?? keys.length;
    const part: ReadResult = {
      records: keys.slice(0, n).map((key) => ({ key, payload: Buffer.concat([Buffer.from('v:'), key]), pttlMs: 0, readAtMs: 0 })),
      gone: 0,
    };
    if (n < keys.length) part.rest = async () => this.readPart(keys.slice(n));
    return part;
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

/** Stands in for a live follower: hands out increasing marks and records every confirmation. */
export class FakeObserver implements BulkWriteObserver {
  /** The last mark handed out (marks count from 1). */
  issued = 0;
  readonly confirmed: { keys: Buffer[]; mark: number }[] = [];

  readIssued(): number {
    return ++this.issued;
  }

  writeConfirmed(keys: Buffer[], mark: number): void {
    this.confirmed.push({ keys, mark });
  }
}

/** Resolves after pending I/O callbacks ran: lets in-memory fakes run as far as they can. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
