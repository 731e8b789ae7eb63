import type { ReadResult } from '../contracts.js';

/** One SCAN page on its way from the source to the target. */
export interface Batch {
  /** Cursor the SCAN was called with, and the one it returned. */
  from: string;
  to: string;
  scanned: number;
  filtered: number;
  /** The keys the filter kept: the ones read. */
  keys: Buffer[];
  /** What BulkWriteObserver.readIssued returned just before the read was issued (0 without an observer). */
  mark: number;
  /** DUMP + PTTL of the kept keys, in flight while later SCANs run. */
  read: Promise<ReadResult>;
}

/** Releases a read's bytes once it has arrived (a failed read holds none). */
export async function releaseWhenRead(read: Promise<ReadResult> | undefined): Promise<void> {
  try {
    (await read)?.release?.();
  } catch {
    // Its error is reported where the read is awaited.
  }
}
