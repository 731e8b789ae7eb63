import { type MigrationConfig, targetDbFor } from '../core/config.js';
import type { TargetUnitDescriptor, UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import { createKeyFilter } from '../core/key-filter.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';

/**
 * One unit per source shard × selected db. Dbs are the configured list, or every db INFO keyspace
 * reports keys in; the db filter applies on top. Throws a ConfigError when a db cannot be written
 * where the mapping sends it (a cluster target has db 0 only).
 */
export function planUnits(config: MigrationConfig, source: SourceLayout, target: TargetLayout): UnitDescriptor[] {
  const filter = createKeyFilter(config.filter);
  const candidates = config.dbs.length > 0 ? config.dbs : [...source.keyspace.entries()].filter(([, keys]) => keys > 0).map(([db]) => db);
  const dbs = [...new Set(candidates)].filter((db) => filter.allowsDb(db)).sort((a, b) => a - b);

  const problems: string[] = [];
  if (source.kind === 'cluster' && dbs.some((db) => db !== 0)) {
    problems.push(`source is a cluster, which has db 0 only; remove dbs ${dbs.filter((d) => d !== 0).join(', ')} from dbs`);
  }
  const badTargets = dbs.filter((db) => targetDbFor(config, db) > target.maxDb);
  if (target.kind === 'cluster' && badTargets.length > 0) {
    const example = badTargets.map((db) => `"${db}" = 0`).join(', ');
    problems.push(
      `target is a cluster, which has db 0 only, but source db(s) ${badTargets.join(', ')} ` +
        `hold keys: map them explicitly with db_map = { ${example} } in [redis_writer] ([target] ` +
        `in a v3 file; or --db-map ${badTargets.map((d) => `${d}:0`).join(',')}), or leave ` +
        `them out with dbs = [0]`,
    );
  } else if (badTargets.length > 0) {
    problems.push(`target has dbs 0-${target.maxDb} only; source db(s) ${badTargets.join(', ')} need a db_map entry onto an existing db`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const single = source.kind !== 'cluster';
  return source.shards.flatMap((shard) =>
    dbs.map((db) => {
      const targetDb = targetDbFor(config, db);
      const dbLabel = targetDb === db ? `db${db}` : `db${db}→db${targetDb}`;
      return {
        id: single ? `db${db}` : `${shard.id}/db${db}`,
        label: `${shard.label} ${dbLabel}`,
        sourceDb: db,
        targetDb,
        sourceAddress: shard.address,
        ...(shard.slots ? { slots: shard.slots } : {}),
        ...(shard.nodeId ? { sourceNode: shard.nodeId } : source.kind === 'sentinel' ? { sourceNode: shard.id } : {}),
      };
    }),
  );
}

/**
 * The target side of the same selection: one unit per target node (each master of a cluster) ×
 * target db the plan writes into, naming the source dbs mapped onto that db. Walked for the keys
 * the source does not have (verify's extra-key check, reconcile's delete pass).
 */
export function planTargetUnits(units: UnitDescriptor[], target: TargetLayout): TargetUnitDescriptor[] {
  const sourceDbsOf = new Map<number, Set<number>>();
  for (const unit of units) {
    const dbs = sourceDbsOf.get(unit.targetDb) ?? new Set<number>();
    dbs.add(unit.sourceDb);
    sourceDbsOf.set(unit.targetDb, dbs);
  }
  return [...sourceDbsOf.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([targetDb, dbs]) =>
      target.nodes.map((node) => ({
        id: node.slots ? `target/slots-${node.slots[0]![0]}-${node.slots[0]![1]}/db${targetDb}` : `target/db${targetDb}`,
        label: `${node.label} db${targetDb}`,
        targetDb,
        sourceDbs: [...dbs].sort((a, b) => a - b),
        targetAddress: node.address,
        ...(node.slots ? { slots: node.slots } : {}),
      })),
    );
}
