import { listFollowRecords } from '../../src/checkpoint/dynamo-follow.js';
import { FOLLOW_LANES, laneExecutionName } from '../../src/cloud/follow-timing.js';
import type { UnitDescriptor } from '../../src/core/contracts.js';
import { ConfigError } from '../../src/core/errors.js';
import type { TaskDeps } from './task-deps.js';

/** Units followed at most: the inline Map that starts two lanes per unit stays far below the history limit. */
export const MAX_FOLLOWED_UNITS = 500;

/**
 * The follow phase of a round, while any unit's following has not finished (cut over): the units
 * still followed, and the input and name of both lane executions of each. A lane already started
 * (this run's earlier round) is started again under the same name, which Step Functions refuses
 * (ExecutionAlreadyExists): the StartLanes Map treats that as started. Undefined once every unit
 * is finished: the round goes on to verify.
 */
export async function followPhase(
  deps: TaskDeps,
  migrationId: string,
  runId: string,
  units: UnitDescriptor[],
): Promise<{ phase: 'follow'; unitIds: string[]; lanes: Record<string, unknown>[] } | undefined> {
  if (units.length > MAX_FOLLOWED_UNITS)
    throw new ConfigError([
      `follow: the source has ${units.length} units (shards × dbs); the workflow follows at most ${MAX_FOLLOWED_UNITS}: ` +
        'narrow the dbs, or split the migration',
    ]);
  const finished = new Set(
    (await listFollowRecords(deps.dynamo, deps.settings.tableName, migrationId)).filter((r) => r.finished).map((r) => r.unitId),
  );
  const unitIds = units.map((u) => u.id).filter((id) => !finished.has(id));
  if (unitIds.length === 0) return undefined;
  const lanes = unitIds.flatMap((unitId) =>
    FOLLOW_LANES.map((lane) => ({ name: laneExecutionName(runId, unitId, lane, 0), migrationId, runId, unitId, lane })),
  );
  return { phase: 'follow', unitIds, lanes };
}
