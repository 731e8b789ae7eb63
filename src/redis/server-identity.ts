/**
 * Who a deployment is, as far as telling two of them apart goes: two addresses (127.0.0.1 and
 * localhost, a cluster's two nodes) may well reach the same server, which an address cannot show.
 */
export interface ServerIdentity {
  /** Each node INFO was read from, with its `run_id` ('' where INFO hides it): one per process. */
  nodes: { address: string; runId: string }[];
  /** CLUSTER SHARDS/SLOTS/NODES ids of every master and replica; empty for a standalone server. */
  clusterNodeIds: string[];
}

/** The cluster node ids a topology names (masters and replicas). */
export function clusterNodeIds(shards: { master: { id?: string }; replicas: { id?: string }[] }[]): string[] {
  return shards.flatMap((s) => [s.master, ...s.replicas]).flatMap((n) => (n.id ? [n.id] : []));
}
