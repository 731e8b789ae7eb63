import type { EndpointConfig } from '../core/config.js';
import { ConfigError, MigrationError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { connectNode, formatAddress, quit } from './connect.js';
import { redisFailure, type Side } from './redis-errors.js';

export interface SentinelNode {
  address: string;
  healthy: boolean;
}

export interface SentinelView {
  masterName: string;
  master: string;
  replicas: SentinelNode[];
  /** The sentinel that answered. */
  sentinel: string;
}

function record(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) return (value ?? {}) as Record<string, string>;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < value.length; i += 2) out[String(value[i])] = String(value[i + 1]);
  return out;
}

/** The sentinels' own credentials (they often differ from the data nodes', or are absent). */
function sentinelEndpoint(endpoint: EndpointConfig): EndpointConfig {
  return { ...endpoint, username: endpoint.sentinelUsername, password: endpoint.sentinelPassword };
}

/**
 * Asks the sentinels, in the order given, for the master named `masterName` and its replicas.
 * The first sentinel that knows the name answers; one that is down or does not know it is skipped.
 * Whether the answer is current is checked by the caller, on the node itself (ROLE via INFO).
 */
export async function resolveSentinel(side: Side, endpoint: EndpointConfig): Promise<SentinelView> {
  const masterName = endpoint.masterName ?? '';
  const Cls = side === 'source' ? SourceUnavailableError : TargetUnavailableError;
  const unknown: string[] = [];
  let firstError: unknown;
  for (const sentinel of endpoint.addresses) {
    let client: Awaited<ReturnType<typeof connectNode>> | undefined;
    try {
      client = await connectNode(side, sentinelEndpoint(endpoint), sentinel);
      const addr = (await client.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
      if (!addr) {
        unknown.push(sentinel);
        continue;
      }
      const replicas = ((await client.call('SENTINEL', 'replicas', masterName)) as unknown[]).map(record).map((r) => ({
        address: formatAddress(r.ip ?? '', r.port ?? ''),
        healthy: !/s_down|o_down|disconnected/.test(r.flags ?? '') && (r['master-link-status'] ?? 'ok') === 'ok',
      }));
      return { masterName, master: formatAddress(addr[0]!, addr[1]!), replicas, sentinel };
    } catch (error) {
      const { replyCode, text } = redisFailure(error);
      // A Redis server asked SENTINEL answers ERR unknown command (no code of its own).
      if (replyCode === 'ERR' && /unknown command|ERR unknown subcommand/i.test(text)) {
        firstError ??= new ConfigError(
          [
            `${side} ${sentinel} is not a sentinel (${text}): with sentinel = true, ` +
              `address lists the sentinels (usually port 26379), not the Redis servers`,
          ],
          { cause: error },
        );
      } else {
        firstError ??=
          error instanceof MigrationError ? error : new Cls(`${side} sentinel ${sentinel}: ${text}`, { cause: error, retryable: true });
      }
    } finally {
      if (client) await quit(client);
    }
  }
  if (unknown.length > 0 && firstError === undefined) {
    throw new ConfigError([
      `${side} sentinel(s) ${unknown.join(', ')} monitor no master named ${JSON.stringify(masterName)}: ` +
        `set master to the name in their "sentinel monitor <name> …" line (SENTINEL MASTERS lists them)`,
    ]);
  }
  throw firstError;
}

/** A healthy replica, preferring `previous` so a resumed unit keeps its node (and its cursor). */
export function pickReplica(replicas: readonly SentinelNode[], previous?: string): SentinelNode | undefined {
  const healthy = replicas.filter((r) => r.healthy).sort((a, b) => a.address.localeCompare(b.address));
  return healthy.find((r) => r.address === previous) ?? healthy[0];
}
