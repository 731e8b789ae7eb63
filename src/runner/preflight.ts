import type { MigrationConfig } from '../core/config.js';
import type { UnitDescriptor } from '../core/contracts.js';
import { TargetNotEmptyError } from '../core/errors.js';
import { openTargetDb } from '../redis/target-access.js';

/**
 * Before the first write of a fresh migration: with the `fail` policy every target db must be
 * empty, so that any key found there later is known to be this migration's own. A dry run only
 * reports what a real run would find.
 */
export async function preflightTarget(
  config: Pick<MigrationConfig, 'target' | 'onExistingKey' | 'dryRun'>,
  units: UnitDescriptor[],
  note: (message: string) => void,
): Promise<void> {
  const targetDbs = [...new Set(units.map((u) => u.targetDb))].sort((a, b) => a - b);
  const occupied: string[] = [];
  for (const db of targetDbs) {
    const { sink, close } = await openTargetDb(config.target, db);
    try {
      const keys = await sink.countKeys();
      if (keys > 0) occupied.push(`db ${db} holds ${keys} key${keys === 1 ? '' : 's'}`);
    } finally {
      await close();
    }
  }
  if (occupied.length === 0) return;
  const where = `target ${config.target.addresses[0]}: ${occupied.join(', ')}`;
  if (config.onExistingKey !== 'fail') {
    note(`${where}; existing keys will be ${config.onExistingKey === 'replace' ? 'overwritten' : 'kept'} (policy ${config.onExistingKey})`);
    return;
  }
  const message =
    `${where}, and a fresh migration with the "fail" policy (redis-shake "panic") needs ` +
    `an empty target. Empty it, or set rdb_restore_command_behavior = "rewrite" to overwrite ` +
    `or "skip" to keep existing keys (flags: --on-existing replace|skip)`;
  if (config.dryRun) note(`a real run would stop here: ${message}`);
  else throw new TargetNotEmptyError(message);
}
