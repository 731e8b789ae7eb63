import type { MigrationConfig } from '../core/config.js';
import type { MigrationPlan, TargetUnitDescriptor, UnitDescriptor } from '../core/contracts.js';
import { discoverSource } from '../redis/source-access.js';
import { discoverTarget } from '../redis/target-access.js';
import { nodeClients, type OpenVerifyClients } from '../verify/connections.js';
import { planTargetUnits, planUnits } from './plan-units.js';

export interface VerifyScope {
  units: UnitDescriptor[];
  /** The target units walked for extra keys; empty when config.extraCheck is off. */
  targetUnits: TargetUnitDescriptor[];
  open: OpenVerifyClients;
}

/**
 * What `redis-ferry verify` checks when no copy ran in this process: the migration's stored units
 * when it has a plan (the same units it copied), else units planned afresh from discovery; with
 * config.extraCheck, the plan's target units (planned from the target's layout for a plan made
 * before they existed); and how each unit's clients open for the target's topology. Planning lives
 * here, not in src/verify, so verification stays below the runner.
 */
export async function verifyScope(config: MigrationConfig, stored?: Pick<MigrationPlan, 'units' | 'targetUnits'>): Promise<VerifyScope> {
  const [source, target] = await Promise.all([discoverSource(config.source), discoverTarget(config.target)]);
  const units = stored?.units ?? planUnits(config, source, target);
  const targetUnits = config.extraCheck ? (stored?.targetUnits ?? planTargetUnits(units, target)) : [];
  return { units, targetUnits, open: nodeClients(config, target.kind) };
}
