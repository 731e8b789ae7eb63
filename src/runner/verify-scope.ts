import type { MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { discoverSource } from '../redis/source-access.js';
import { discoverTarget } from '../redis/target-access.js';
import { nodeClients, type OpenVerifyClients } from '../verify/connections.js';
import { planUnits } from './plan-units.js';

export interface VerifyScope {
  units: UnitDescriptor[];
  open: OpenVerifyClients;
}

/**
 * What `redis-ferry verify` checks when no copy ran in this process: the migration's stored units
 * when it has a plan (the same units it copied), else units planned afresh from discovery; and how
 * each unit's clients open for the target's topology. Planning lives here, not in src/verify, so
 * verification stays below the runner.
 */
export async function verifyScope(config: MigrationConfig, storedUnits?: UnitDescriptor[]): Promise<VerifyScope> {
  const [source, target] = await Promise.all([discoverSource(config.source), discoverTarget(config.target)]);
  return { units: storedUnits ?? planUnits(config, source, target), open: nodeClients(config, target.kind) };
}
