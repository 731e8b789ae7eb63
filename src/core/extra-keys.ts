import type { BulkWriteObserver, ScanPage } from './contracts.js';

/** One target node's db, walked with SCAN (the selection's MATCH and TYPE, and the unit's slots, applied). */
export interface TargetKeyScan {
  scan(cursor: string): Promise<ScanPage>;
}

export interface ExtraKeysOptions {
  targetScan: TargetKeyScan;
  /** Whether a target key is in the selection (the key filters); keys outside it are never extra. */
  selects?: (key: Buffer) => boolean;
  /** Whether each key exists on the source (in any source db mapped onto this target db), in order. */
  sourceExists: (keys: Buffer[]) => Promise<boolean[]>;
  /** Deletes keys from the target and returns those it deleted (a key gone meanwhile is not). Absent: find only. */
  deleteKeys?: (keys: Buffer[]) => Promise<Buffer[]>;
  /** Told before each source check and after each confirmed delete batch (see BulkWriteObserver). */
  observer?: BulkWriteObserver;
  /** Where to resume: the cursor a previous walk stopped at. @default '0' (the start) */
  cursor?: string;
  /** Asked before each batch; true returns the position reached. */
  shouldStop?: () => boolean;
  /** After each batch (awaited), e.g. to checkpoint the cursor and count what was found. */
  onBatch?: (batch: ExtraKeysBatch) => void | Promise<void>;
}

export interface ExtraKeysBatch {
  /** The next SCAN cursor; '0' with `done` when the walk is complete. */
  cursor: string;
  done: boolean;
  /** Keys SCAN returned. */
  scanned: number;
  /** Of those, the keys in the selection, looked up on the source. */
  checked: number;
  /** Keys in the selection the source did not have. */
  extra: Buffer[];
  /** Of `extra`, the keys deleted (only with `deleteKeys`). */
  deleted: Buffer[];
}

/**
 * Walks a target db for keys the source does not have: per SCAN batch of the target, the keys in
 * the selection are looked up on the source (after the target batch was read, so a key created on
 * the source meanwhile is found there) and, with `deleteKeys`, those absent are deleted at once.
 * Resumable from any cursor it reported.
 *
 * What holds with concurrent writers: a key present on the source when it is checked is never
 * deleted. A key created on the source after its check and written to the target before the DEL
 * lands (one round trip to the target later) is deleted; `observer` gets the deleted keys with the
 * mark taken before the check, so a change follower re-applies any key it saw change after it. A
 * conditional delete on the target cannot close that window: absence is a fact about another
 * server. A key deleted on the source after the target batch was read stays until the next pass.
 */
export async function walkExtraKeys(options: ExtraKeysOptions): Promise<{ cursor: string; done: boolean }> {
  const { targetScan, selects, sourceExists, deleteKeys, observer } = options;
  let cursor = options.cursor ?? '0';
  let started = cursor !== '0';
  while (!started || cursor !== '0') {
    if (options.shouldStop?.()) return { cursor, done: false };
    started = true;
    const page = await targetScan.scan(cursor);
    const checked = selects ? page.keys.filter(selects) : page.keys;
    let extra: Buffer[] = [];
    let deleted: Buffer[] = [];
    if (checked.length > 0) {
      const mark = observer?.readIssued();
      const present = await sourceExists(checked);
      extra = checked.filter((_, i) => !present[i]);
      if (deleteKeys && extra.length > 0) deleted = await deleteKeys(extra);
      // Every mark taken is closed, a batch that deleted nothing too: an open mark means "maybe landed" (a gap).
      if (observer && mark !== undefined) observer.writeConfirmed(deleted, mark);
    }
    cursor = page.cursor;
    await options.onBatch?.({ cursor, done: cursor === '0', scanned: page.keys.length, checked: checked.length, extra, deleted });
  }
  return { cursor: '0', done: true };
}

/** The delete pass of a reconcile: `walkExtraKeys` with `deleteKeys` required. */
export function deleteExtraKeys(
  options: ExtraKeysOptions & { deleteKeys: NonNullable<ExtraKeysOptions['deleteKeys']> },
): Promise<{ cursor: string; done: boolean }> {
  return walkExtraKeys(options);
}
