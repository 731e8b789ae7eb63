import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress, isVerified } from '../../src/checkpoint/dynamo-verify.js';
import { type AnyCloudConfig, checkStartInput, parseExecutionInput } from '../../src/cloud/execution-input.js';
import { roundExecutionName } from '../../src/cloud/execution-names.js';
import { reconcileConfig, runIdentity } from '../../src/cloud/reconcile-run.js';
import { verifiesAfterCopy } from '../../src/cloud/verify-outcome.js';
import { ConfigError, MigrationError } from '../../src/core/errors.js';
import { defaultRestoreId } from '../../src/core/restore-config.js';
import { planMigration } from '../../src/runner/plan-migration.js';
import { followPhase } from './follow-plan.js';
import { pendingDeletePhase } from './reconcile-phase.js';
import { planRestoreRound } from './restore-plan.js';
import { openMigration, resolveConfig, type TaskDeps } from './task-deps.js';

/** Built by the state machine: the execution's name and its input, as given. */
export interface PlanEvent {
  executionName: string;
  input: unknown;
}

/** Ids and counts only: this is what the state carries through the whole run. */
export interface PlanResult {
  migrationId: string;
  /** The first execution's name: every round of the run claims the migration under it. */
  runId: string;
  round: number;
  nextRound: number;
  /**
   * `copy` while any unit is not copied; in a reconcile run, then `delete` while any target unit has
   * not deleted what the source lacks (the same Copy loop runs those); then, unless verify is `none` (or a dry run), `verify`
   * until every unit (and with extraCheck every target unit) is verified by this run. One phase per
   * round: the state carries one list.
   */
  phase: 'copy' | 'delete' | 'verify' | 'follow';
  /** The phase's units not yet done (copied, or verified): the Map's items. */
  unitIds: string[];
  /** The phase's units in all, done or not (in `verify`, with the target units). */
  unitCount: number;
  resumed: boolean;
  /** Name for the execution that continues this run, if this round does not finish it. */
  nextExecutionName: string;
  /** The follow phase's lane executions to start (empty in the other phases; see follow-plan.ts). */
  lanes: Record<string, unknown>[];
  /** The follow phase's poll count in this execution (the history bound). */
  follow: { polls: number };
}

/** What makes a run "the same migration": a hash of endpoints and selection (for a restore, of the snapshot's URI). */
function identityOf(cloud: AnyCloudConfig, reconcile: boolean): string {
  return cloud.kind === 'restore' ? defaultRestoreId(cloud.config) : runIdentity(cloud.config, reconcile);
}

/**
 * Validates the input, claims the migration for this run (a second run of the same migration
 * stops here), stores the secret-free config, discovers both sides and creates or resumes the plan.
 */
export async function planRun(event: PlanEvent, deps: TaskDeps): Promise<PlanResult> {
  if (!event || typeof event.executionName !== 'string') throw new ConfigError(['plan event: expected { executionName, input }']);
  const input = parseExecutionInput(event.input);
  const { dynamo, settings } = deps;
  let runId: string;
  let round: number;
  let migrationId: string;
  let cloud: AnyCloudConfig;
  let state: DynamoMigrationState;
  let reconcile: boolean;

  if (input.kind === 'start') {
    reconcile = input.reconcile === true;
    runId = event.executionName;
    round = 0;
    ({ cloud, migrationId } = checkStartInput(input));
    state = new DynamoMigrationState(dynamo, settings.tableName, migrationId);
    await state.claim(runId, {
      ttlMs: settings.claimTtlMs,
      round,
      start: { config: cloud.stored, identity: identityOf(cloud, reconcile), dryRun: cloud.config.dryRun, reconcile },
    });
  } else {
    ({ runId, round, migrationId } = input);
    let record: { reconcile?: boolean };
    ({ state, cloud, record } = await openMigration(deps, migrationId, runId, { claim: true, round }));
    reconcile = record.reconcile === true;
  }
  deps.log.info('planning', { migrationId, runId, round });

  try {
    // A restore of an RDB snapshot in S3 plans its byte ranges (restore-plan.ts).
    if (cloud.kind === 'restore') {
      const restore = await planRestoreRound(cloud, { migrationId, runId }, deps);
      const next = { nextRound: round + 1, nextExecutionName: roundExecutionName(runId, round + 1) };
      return { migrationId, runId, round, ...next, ...restore, lanes: [], follow: { polls: 0 } };
    }
    const config = reconcileConfig(await resolveConfig(cloud, deps.resolveSecret), reconcile);
    const store = new DynamoCheckpointStore(dynamo, settings.tableName, migrationId, {
      owner: `${runId}/plan`,
      runId,
      leaseMs: settings.leaseMs,
    });
    // A reconcile run expects a populated target: no empty-target check before its first write.
    const note = (message: string) => deps.log.info(message, { migrationId });
    const { plan, resumed } = await planMigration(config, migrationId, store, note, !reconcile);
    const done = new Set((await store.listUnits()).filter((u) => u.checkpoint.status === 'done').map((u) => u.checkpoint.unitId));
    let phase: PlanResult['phase'] = 'copy';
    let unitCount = plan.units.length;
    let unitIds = plan.units.map((u) => u.id).filter((id) => !done.has(id));
    const deletes = unitIds.length === 0 && reconcile ? pendingDeletePhase(plan, done) : undefined;
    if (deletes) ({ phase, unitIds, unitCount } = deletes);
    const following = !deletes && config.follow.enabled ? await followPhase(deps, migrationId, runId, plan.units) : undefined;
    if (following) ({ phase, unitIds } = following);
    else if (unitIds.length === 0 && verifiesAfterCopy(config)) {
      // Everything is copied: this round verifies, resuming this run's progress (a new run starts over).
      const progress = new Map(
        (await new DynamoVerifyProgress(dynamo, settings.tableName, migrationId, { runId, owner: `${runId}/plan` }).list()).map((p) => [
          p.unitId,
          p,
        ]),
      );
      phase = 'verify';
      // The extra-key check's target units verify alongside, each its own item of the Map.
      const toVerify = [...plan.units, ...(config.extraCheck ? (plan.targetUnits ?? []) : [])];
      unitCount = toVerify.length;
      unitIds = toVerify.map((u) => u.id).filter((id) => !isVerified(progress.get(id), runId, config.verify));
    }
    return {
      migrationId,
      runId,
      round,
      nextRound: round + 1,
      phase,
      unitIds,
      unitCount,
      resumed,
      nextExecutionName: roundExecutionName(runId, round + 1),
      lanes: following?.lanes ?? [],
      follow: { polls: 0 },
    };
  } catch (error) {
    // A plan that cannot go on (bad password, target not empty) releases the migration at once, so
    // a restart after the fix need not wait for the claim to lapse. A retryable error keeps it.
    if (!(error instanceof MigrationError && error.retryable)) {
      const message = (error as Error)?.message ?? String(error);
      await state.fail(runId, { error: (error as Error)?.name ?? 'Error', message }).catch(() => false);
    }
    throw error;
  }
}
