import type { MigrationConfig } from '../../core/config.js';
import type { ReadResult } from '../../core/contracts.js';
import { globMatch } from '../../core/glob-match.js';
import type { KeyFilter } from '../../core/key-filter.js';
import type { UnitIo } from '../unit-io.js';

/** What one round of applying changes did. */
export interface ApplyOutcome {
  /** Keys written from the source's current value. */
  copied: number;
  /** Keys deleted on the target: gone from the source, or no longer of the selected type. */
  deleted: number;
  /** Keys outside the selection (filters, match): left alone on both sides. */
  ignored: number;
  bytes: number;
}

/** Decides which changed keys the migration covers, exactly as the scan's MATCH and the filters did. */
export function followSelection(config: MigrationConfig, filter: KeyFilter): (key: Buffer) => boolean {
  const match = config.scan.match ? Buffer.from(config.scan.match, 'utf8') : undefined;
  return (key) => (match === undefined || globMatch(match, key)) && (filter.passesAll || filter.allowsKey(key));
}

/**
 * Makes the target hold each key's current source state: DUMP + PTTL → RESTORE … REPLACE with the
 * remaining TTL; a key gone from the source (deleted, expired, evicted, renamed or moved away) is
 * deleted on the target. Big keys take the by-type path. Event names do not matter: whatever the
 * event, the key is read again, so repeated events for one key cost one copy.
 */
export async function applyChanges(
  io: UnitIo,
  keys: Buffer[],
  selected: (key: Buffer) => boolean,
  type: string | undefined,
): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { copied: 0, deleted: 0, ignored: 0, bytes: 0 };
  const wanted = keys.filter(selected);
  outcome.ignored = keys.length - wanted.length;
  if (wanted.length === 0) return outcome;
  const present = new Set<string>();
  let part: ReadResult | undefined = await io.source.read(wanted);
  while (part) {
    const next: Promise<ReadResult> | undefined = part.rest?.();
    try {
      await writePart(io, part, type, present, outcome);
    } finally {
      part.release?.();
    }
    part = next ? await next : undefined;
  }
  const gone = wanted.filter((k) => !present.has(k.toString('latin1')));
  outcome.deleted += await deleteOnTarget(io, gone);
  return outcome;
}

async function writePart(io: UnitIo, part: ReadResult, type: string | undefined, present: Set<string>, outcome: ApplyOutcome) {
  let records = part.records;
  let big = (part.big ?? []).map((b) => b.key);
  if (type) {
    const keep = await ofType(io, [...records.map((r) => r.key), ...big], type);
    records = records.filter((r) => keep.has(r.key.toString('latin1')));
    big = big.filter((k) => keep.has(k.toString('latin1')));
  }
  for (const r of records) present.add(r.key.toString('latin1'));
  for (const k of big) present.add(k.toString('latin1'));
  if (!io.sink) {
    outcome.copied += records.length + big.length;
    return;
  }
  if (records.length > 0) {
    const result = await io.sink.write(records, 'replace');
    outcome.copied += result.written;
    outcome.bytes += result.bytes;
  }
  for (const key of big) {
    const result = await io.copyBigKey!(key, true);
    if (result.status === 'copied') {
      outcome.copied++;
      outcome.bytes += result.bytes;
    } else if (result.status === 'gone' || result.status === 'expired') {
      present.delete(key.toString('latin1'));
    }
  }
}

/** The keys (as latin1 ids) whose type is `type` now; a key of another type leaves the selection. */
async function ofType(io: UnitIo, keys: Buffer[], type: string): Promise<Set<string>> {
  const client = io.clients?.source;
  if (!client || keys.length === 0) return new Set(keys.map((k) => k.toString('latin1')));
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.type(key);
  const replies = (await pipeline.exec()) ?? [];
  return new Set(keys.filter((_, i) => replies[i]?.[1] === type).map((k) => k.toString('latin1')));
}

async function deleteOnTarget(io: UnitIo, keys: Buffer[]): Promise<number> {
  const client = io.clients?.target;
  if (!client || keys.length === 0) return io.clients ? 0 : keys.length;
  // One DEL per key: a cluster target routes each by its slot (a multi-key DEL would be CROSSSLOT).
  const deleted = await Promise.all(keys.map((key) => client.del(key)));
  return deleted.reduce((sum: number, n) => sum + Number(n), 0);
}
