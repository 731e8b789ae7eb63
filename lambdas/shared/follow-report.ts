import { listFollowRecords } from '../../src/checkpoint/dynamo-follow.js';
import { FollowFailedError } from '../../src/cloud/cloud-errors.js';
import type { TaskDeps } from './task-deps.js';

/**
 * How many of the planned units are still followed (not cut over yet). A unit whose followers
 * recorded a failure fails the run: its error is thrown as FollowFailedError, which the workflow
 * records on the migration (RecordRunFailure) with the unit and the cause.
 */
export async function followingUnits(deps: TaskDeps, migrationId: string, planned: string[]): Promise<number> {
  const records = new Map((await listFollowRecords(deps.dynamo, deps.settings.tableName, migrationId)).map((r) => [r.unitId, r]));
  const failed = planned.map((id) => records.get(id)).find((r) => r?.error !== undefined);
  if (failed)
    throw new FollowFailedError(
      `unit ${failed.unitId}, following: ${failed.errorType ? `${failed.errorType}: ` : ''}${failed.error}; ` +
        'fix the cause and start the migration again with the same migrationId (its followers reconcile each unit)',
    );
  return planned.filter((id) => !records.get(id)?.finished).length;
}
