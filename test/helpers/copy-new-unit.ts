import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { noFilter } from '../../src/core/config.js';
import { newCheckpoint, type UnitCheckpoint } from '../../src/core/contracts.js';
import { type CopyUnitOptions, copyUnit } from '../../src/core/copy-unit.js';
import { createKeyFilter } from '../../src/core/key-filter.js';

/** What copyNewUnit fills in when the test does not say: a filter that keeps every key and a store of its own. */
export type NewUnitOptions = Omit<CopyUnitOptions, 'checkpoint' | 'filter' | 'store'> & Partial<Pick<CopyUnitOptions, 'filter' | 'store'>>;

/** copyUnit from a new checkpoint of unit 'u' (nothing copied yet), by default keeping every key, into a fresh memory store. */
export function copyNewUnit(options: NewUnitOptions): Promise<UnitCheckpoint> {
  return copyUnit({ filter: createKeyFilter(noFilter()), store: new MemoryCheckpointStore(), checkpoint: newCheckpoint('u'), ...options });
}
