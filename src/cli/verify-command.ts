import { DEFAULT_STATE_DIR, FileCheckpointStore } from '../checkpoint/file-store.js';
import { ConfigError } from '../core/errors.js';
import { defaultMigrationId, isValidMigrationId } from '../core/migration-id.js';
import type { VerifyLevel } from '../core/verify-report.js';
import { verifyScope } from '../runner/verify-scope.js';
import { FileVerifyReportStore } from '../verify/report-store.js';
import { verifyMigration } from '../verify/verify-migration.js';
import { buildConfig, type CopyFlags } from './build-config.js';
import { gracefulStop } from './graceful-stop.js';
import { formatVerifyResult } from './verify-summary.js';

export interface VerifyFlags extends CopyFlags {
  verify: VerifyLevel;
  maxMismatches: number;
  examples: number;
  ttlTolerance: number;
  id?: string;
  stateDir: string;
  json?: boolean;
}

/** Exit code when the target differs from the source by more than --max-mismatches. */
export const EXIT_MISMATCHES = 3;

/**
 * `redis-ferry verify`: compares the target with the source under the same config as `migrate`
 * (file or flags, filters, db mapping), prints the result and stores it with the migration when
 * its state exists. Exit codes: 0 within the threshold, 3 above it, 1 failed, 2 bad input.
 */
export async function verifyCommand(configPath: string | undefined, flags: VerifyFlags): Promise<number> {
  const { config, warnings } = buildConfig(configPath, flags);
  const migrationId = flags.id ?? defaultMigrationId(config);
  if (!isValidMigrationId(migrationId))
    throw new ConfigError([`--id ${JSON.stringify(migrationId)}: use letters, digits, '.', '_' and '-' (at most 64)`]);
  if (!Number.isInteger(flags.maxMismatches)) throw new ConfigError(['--max-mismatches must be a whole number']);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);

  const stateDir = flags.stateDir ?? DEFAULT_STATE_DIR;
  // The migration's own plan, when it ran here: the same units it copied (and target units it walks).
  const plan = await new FileCheckpointStore(stateDir, migrationId).loadPlan().catch(() => undefined);
  // No progress display to clear and no checkpoint to speak of: a quit at once just exits 130. SIGTERM
  // too, as for migrate and restore: a stop asked by a supervisor still reports what was checked.
  const interrupt = gracefulStop({ display: { log: (line) => process.stderr.write(`${line}\n`) } });
  try {
    const scope = await verifyScope(config, plan);
    const result = await verifyMigration({
      ...scope,
      config,
      migrationId,
      level: flags.verify,
      ttlToleranceMs: flags.ttlTolerance,
      maxExamples: flags.examples,
      maxMismatches: flags.maxMismatches,
      shouldStop: interrupt.requested,
    });
    const stored = await new FileVerifyReportStore(stateDir, migrationId).save(result);
    process.stdout.write(`${flags.json ? JSON.stringify(result) : formatVerifyResult(result)}\n`);
    if (!flags.json && stored) process.stdout.write(`  stored with migration ${migrationId} (${stateDir})\n`);
    if (interrupt.requested()) return 130;
    return result.passed ? 0 : EXIT_MISMATCHES;
  } finally {
    interrupt.dispose();
  }
}
