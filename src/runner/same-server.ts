import type { UnitDescriptor } from '../core/contracts.js';
import { ConfigError } from '../core/errors.js';
import type { ServerIdentity } from '../redis/server-identity.js';

interface SharedServer {
  source: string;
  target: string;
  /** What shows it: the same process, or the same cluster. */
  evidence: string;
  cluster: boolean;
}

/**
 * Whether source and target reach one deployment, whatever names they were given: a node both
 * sides read INFO from (same `run_id`, which each process draws at random on start), or a cluster
 * node id both topologies list (also a cluster's replica, or another node of it).
 */
export function findSharedServer(source: ServerIdentity, target: ServerIdentity): SharedServer | undefined {
  for (const s of source.nodes) {
    const t = target.nodes.find((n) => n.runId !== '' && n.runId === s.runId);
    if (t) {
      const cluster = source.clusterNodeIds.length > 0;
      return { source: s.address, target: t.address, evidence: `INFO run_id ${s.runId.slice(0, 12)}… on both`, cluster };
    }
  }
  const ids = new Set(source.clusterNodeIds);
  const shared = target.clusterNodeIds.find((id) => ids.has(id));
  if (!shared) return undefined;
  return {
    source: source.nodes[0]?.address ?? 'source',
    target: target.nodes[0]?.address ?? 'target',
    evidence: `cluster node ${shared.slice(0, 12)}… is in both`,
    cluster: true,
  };
}

/**
 * Refuses a migration whose target is its own source: with --on-existing replace it would rewrite
 * every key onto itself, with `fail` it would stop on the first key. Moving keys between the dbs of
 * one server is legitimate, so that passes, as long as no db is both copied and written.
 */
export function refuseSameServer(
  units: UnitDescriptor[],
  source: ServerIdentity,
  target: ServerIdentity,
  note: (message: string) => void,
): void {
  const shared = findSharedServer(source, target);
  if (!shared) return;
  const sourceDbs = new Set(units.map((u) => u.sourceDb));
  const clash = units.find((u) => sourceDbs.has(u.targetDb));
  const moves = units.map((u) => `db${u.sourceDb} → db${u.targetDb}`).join(', ');
  if (!clash) {
    note(`source and target are the same server (${shared.evidence}): moving keys between its dbs (${moves})`);
    return;
  }
  const what =
    clash.sourceDb === clash.targetDb
      ? `copying db ${clash.sourceDb} onto db ${clash.targetDb} would rewrite its keys onto themselves`
      : `db ${clash.targetDb} would be written (from db ${clash.sourceDb}) while it is itself being copied`;
  const fix = shared.cluster
    ? 'point the target at another cluster'
    : 'point the target at another server, or, to move keys between dbs of this one, map each copied db to a db that is not copied' +
      ' (e.g. --dbs 0 --db-map 0:1, or db_map = { "0" = 1 } in [redis_writer]); only a copy to a different db is allowed';
  throw new ConfigError([
    `source ${shared.source} and target ${shared.target} are the same Redis ${shared.cluster ? 'cluster' : 'server'} ` +
      `(${shared.evidence}): ` +
      `${what}. Nothing was written; ${fix}`,
  ]);
}
