import type { MigrationConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { defaultMigrationId, defaultReconcileId } from '../core/migration-id.js';

/**
 * A reconcile run of the serverless workflow (execution input `"reconcile": true`, or a schedule in
 * `reconcile` mode): the copy phase writes only the keys that differ, a delete phase removes the
 * target keys the source no longer has, then the usual verify phase. The local engine's pieces do
 * the work (runUnitSession with `reconcile`, runDeleteSession); this module holds the rules.
 */

/** What is wrong with reconciling under `config`, one line each (none: it can run); `field` asked for it. */
export function reconcileProblems(config: MigrationConfig, field = 'input.reconcile'): string[] {
  const problems: string[] = [];
  if (config.mode === 'struct')
    problems.push(`${field}: compares DUMP payloads, so it needs DUMP on both sides: set config.mode to "dump" or leave it out`);
  if (config.dryRun)
    problems.push(`${field}: has no dry run (it reads the target to decide what to write); drop dryRun, or run verify alone`);
  if (config.follow.enabled) problems.push(`${field}: a followed migration keeps the target in step already; drop reconcile or follow`);
  return problems;
}

/** Throws the problems of reconcileProblems as one ConfigError. */
export function checkReconcile(config: MigrationConfig, field = 'input.reconcile'): void {
  const problems = reconcileProblems(config, field);
  if (problems.length > 0) throw new ConfigError(problems);
}

/**
 * The config a reconcile run copies with: every key that differs is overwritten (a pass replaces
 * the target's stale values), as `redis-ferry reconcile` does.
 */
export function reconcileConfig(config: MigrationConfig, reconcile: boolean): MigrationConfig {
  return reconcile ? { ...config, onExistingKey: 'replace' } : config;
}

/**
 * What a run's migration item records as its identity: a reconcile pass is another migration than
 * a copy of the same source and target (an "r-" id, as the CLI's), so one cannot resume the other.
 */
export function runIdentity(config: MigrationConfig, reconcile: boolean): string {
  return reconcile ? defaultReconcileId(config, true) : defaultMigrationId(config);
}
