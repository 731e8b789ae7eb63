import type { MigrationConfig } from '../core/config.js';
import type { CheckpointStore, MigrationPlan } from '../core/contracts.js';
import { discoverSource, type SourceLayout } from '../redis/source-access.js';
import { discoverTarget, type TargetLayout } from '../redis/target-access.js';
import { copyFunctions } from './copy-functions.js';
import { planTargetUnits, planUnits } from './plan-units.js';
import { preflightTarget } from './preflight.js';
import { refuseSameServer } from './same-server.js';

export interface PlannedMigration {
  plan: MigrationPlan;
  /** True when the plan was already stored: the migration resumes. */
  resumed: boolean;
  source: SourceLayout;
  target: TargetLayout;
}

/**
 * Discovers both sides, then reuses the stored plan (resume) or makes a new one, with its target
 * units (see planTargetUnits). Either way the target must not be the source itself (see
 * same-server.ts). A new plan is saved only after the target passed preflight and took the
 * source's functions, so a refused migration leaves no state behind. Used by the local runner and
 * by the `plan` Lambda alike, so both copy the functions before the units start.
 */
export async function planMigration(
  config: MigrationConfig,
  migrationId: string,
  store: CheckpointStore,
  note: (message: string) => void,
  /** Check the target before the first write (see preflightTarget); a reconcile pass expects a populated target. */
  preflight = true,
): Promise<PlannedMigration> {
  const source = await discoverSource(config.source);
  const target = await discoverTarget(config.target, config.mode !== 'struct');
  for (const message of [...source.notes, ...target.notes]) note(message);

  const stored = await store.loadPlan();
  if (stored) {
    refuseSameServer(stored.units, source.identity, target.identity, note);
    return { plan: stored, resumed: true, source, target };
  }
  const units = planUnits(config, source, target);
  refuseSameServer(units, source.identity, target.identity, note);
  if (preflight) await preflightTarget(config, units, note);
  // Once per migration, before any key: a resumed plan (above) had its functions copied.
  await copyFunctions(config, source, target, note);
  const plan: MigrationPlan = { migrationId, units, targetUnits: planTargetUnits(units, target), createdAt: new Date().toISOString() };
  await store.savePlan(plan);
  return { plan, resumed: false, source, target };
}
