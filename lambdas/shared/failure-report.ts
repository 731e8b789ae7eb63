import { DynamoMigrationState } from '../../src/checkpoint/dynamo-migration.js';
import { DynamoCheckpointStore } from '../../src/checkpoint/dynamo-store.js';
import { DynamoVerifyProgress } from '../../src/checkpoint/dynamo-verify.js';
import { parseCloudConfig, parseExecutionInput, resolveMigrationId } from '../../src/cloud/execution-input.js';
import { type CaughtError, describeTaskError } from '../../src/cloud/task-failure.js';
import { ConfigError } from '../../src/core/errors.js';
import type { TaskDeps } from './task-deps.js';

/**
 * What a Catch hands to the failure task. `unit`: a unit's copy loop failed (recorded on the unit);
 * `verify`: a unit's verify loop failed (recorded on its verify progress, the copy stays done);
 * `run`: the Map or the report failed (recorded on the migration, claim released); `plan`: the
 * plan failed, so the state is still the execution input (plus the error): the ids are derived
 * from it as the plan task does, to release a claim the plan took before failing for good.
 */
export type FailureEvent =
  | { scope: 'unit' | 'verify'; migrationId: string; runId: string; unitId: string; error: CaughtError }
  | { scope: 'run'; migrationId: string; runId: string; error: CaughtError }
  | { scope: 'plan'; executionName: string; input: Record<string, unknown>; error: CaughtError };

/** For the Fail state's ErrorPath and CausePath. */
export interface FailureResult {
  error: string;
  cause: string;
}

/** Step Functions reserves the "States." prefix for its own errors; a Fail state may not use it. */
function errorName(name: string): string {
  return name.startsWith('States.') ? name.slice('States.'.length) : name;
}

export async function reportFailure(event: FailureEvent, deps: TaskDeps): Promise<FailureResult> {
  if (!event || !['unit', 'verify', 'run', 'plan'].includes((event as { scope?: string }).scope ?? ''))
    throw new ConfigError(['failure event: scope must be unit, verify, run or plan']);
  const failure = describeTaskError(event.error);
  const { dynamo, settings } = deps;
  if (event.scope === 'plan') {
    const ids = planIds(event);
    // Only if this run holds it (the condition says so): a refused second run changes nothing.
    const released = ids
      ? await new DynamoMigrationState(dynamo, settings.tableName, ids.migrationId).fail(ids.runId, {
          error: errorName(failure.error),
          message: failure.message,
        })
      : false;
    deps.log.warn('plan failed', { ...ids, error: failure.error, released });
    return { error: errorName(failure.error), cause: `the migration did not start: ${failure.message}` };
  }

  const store = new DynamoCheckpointStore(dynamo, settings.tableName, event.migrationId, {
    owner: `${event.runId}/failure`,
    runId: event.runId,
  });
  if (event.scope === 'unit') {
    const recorded = await store.recordUnitFailure(event.unitId, { error: errorName(failure.error), message: failure.message });
    const label = (await store.loadUnitRecord(event.unitId))?.descriptor?.label;
    deps.log.warn('unit failed', { migrationId: event.migrationId, unitId: event.unitId, error: failure.error, recorded });
    return { error: errorName(failure.error), cause: `unit ${event.unitId}${label ? ` (${label})` : ''}: ${failure.message}` };
  }
  const progress = new DynamoVerifyProgress(dynamo, settings.tableName, event.migrationId, {
    runId: event.runId,
    owner: `${event.runId}/failure`,
  });
  if (event.scope === 'verify') {
    const recorded = await progress.recordFailure(event.unitId, { error: errorName(failure.error), message: failure.message });
    const label = (await store.loadUnitRecord(event.unitId))?.descriptor?.label;
    deps.log.warn('unit verification failed', { migrationId: event.migrationId, unitId: event.unitId, error: failure.error, recorded });
    return { error: errorName(failure.error), cause: `unit ${event.unitId}${label ? ` (${label})` : ''}, verifying: ${failure.message}` };
  }

  // The Map's own error is generic when a child execution failed; the units this run recorded as
  // failed say what happened (a unit failed by an earlier run and not retried yet is not news).
  const units = await store.listUnits();
  const labels = new Map(units.map((u) => [u.checkpoint.unitId, u.descriptor?.label]));
  const named = (unitId: string) => `unit ${unitId}${labels.get(unitId) ? ` (${labels.get(unitId)})` : ''}`;
  const failed = [
    ...units
      .filter((u) => u.checkpoint.status === 'failed' && u.checkpoint.error && u.errorRun === event.runId)
      .map((u) => ({ errorType: u.errorType, text: `${named(u.checkpoint.unitId)}: ${u.checkpoint.error}` })),
    ...(await progress.list())
      .filter((p) => !p.done && p.error && p.errorRun === event.runId)
      .map((p) => ({ errorType: p.errorType, text: `${named(p.unitId)}, verifying: ${p.error}` })),
  ];
  const first = failed[0];
  const error = errorName(first?.errorType ?? failure.error);
  const parts = failed.slice(0, 3).map((f) => f.text);
  if (failed.length > 3) parts.push(`and ${failed.length - 3} more failed unit(s)`);
  const cause =
    `migration ${event.migrationId} failed: ${parts.length > 0 ? parts.join('; ') : failure.message}. ` +
    `Fix the cause and start it again with the same migrationId: it resumes from its checkpoints`;
  const released = await new DynamoMigrationState(dynamo, settings.tableName, event.migrationId).fail(event.runId, {
    error,
    message: cause,
  });
  deps.log.warn('run failed', { migrationId: event.migrationId, runId: event.runId, error, released });
  return { error, cause };
}

/** The migration and run a failed plan was for, when its input says (an invalid input does not). */
function planIds(event: Extract<FailureEvent, { scope: 'plan' }>): { migrationId: string; runId: string } | undefined {
  try {
    const { error: _caught, ...raw } = event.input ?? {};
    const input = parseExecutionInput(raw);
    if (input.kind === 'continue') return { migrationId: input.migrationId, runId: input.runId };
    return { migrationId: resolveMigrationId(input, parseCloudConfig(input.config, 'input.config')), runId: event.executionName };
  } catch {
    return undefined;
  }
}
