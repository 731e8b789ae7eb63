import type { CheckpointStore, MigrationPlan, UnitCheckpoint } from '../core/contracts.js';
import { CheckpointConflictError } from '../core/errors.js';

/** Keeps checkpoints in memory: dry runs (which must not leave resumable state) and tests. */
export class MemoryCheckpointStore implements CheckpointStore {
  private plan: MigrationPlan | undefined;
  private readonly units = new Map<string, UnitCheckpoint>();

  async loadPlan(): Promise<MigrationPlan | undefined> {
    return this.plan && structuredClone(this.plan);
  }

  async savePlan(plan: MigrationPlan): Promise<void> {
    this.plan = structuredClone(plan);
  }

  async loadUnit(unitId: string): Promise<UnitCheckpoint | undefined> {
    const unit = this.units.get(unitId);
    return unit && structuredClone(unit);
  }

  async saveUnit(checkpoint: UnitCheckpoint): Promise<UnitCheckpoint> {
    const stored = this.units.get(checkpoint.unitId)?.version ?? 0;
    if (stored !== checkpoint.version) {
      throw new CheckpointConflictError(
        `unit ${checkpoint.unitId} was advanced by another worker (version ${stored}, expected ${checkpoint.version})`,
      );
    }
    const next = { ...structuredClone(checkpoint), version: checkpoint.version + 1 };
    this.units.set(checkpoint.unitId, next);
    return structuredClone(next);
  }
}
