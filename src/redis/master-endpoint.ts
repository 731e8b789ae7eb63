import type { EndpointConfig } from '../core/config.js';
import { connectFirst, quit } from './connect.js';
import { nodeState, parseInfo } from './info.js';
import type { Side } from './redis-errors.js';
import { resolveSentinel } from './sentinel-resolve.js';

/** Where an endpoint's master-only commands go now: a cluster (routed by slot), or one node. */
export type MasterEndpoint = { kind: 'cluster' } | { kind: 'node'; address: string };

/**
 * The master the sentinels name now, or else the first configured address that answers, asked
 * (INFO cluster) whether it is a cluster node; a server that does not say is taken to be what the
 * configuration calls it.
 */
export async function resolveMasterEndpoint(side: Side, endpoint: EndpointConfig): Promise<MasterEndpoint> {
  if (endpoint.topology === 'sentinel') return { kind: 'node', address: (await resolveSentinel(side, endpoint)).master };
  const found = await connectFirst(side, endpoint, endpoint.addresses);
  try {
    const clustered = nodeState(parseInfo(await found.client.info('cluster'))).clusterEnabled ?? endpoint.topology === 'cluster';
    return clustered ? { kind: 'cluster' } : { kind: 'node', address: found.address };
  } finally {
    await quit(found.client);
  }
}
