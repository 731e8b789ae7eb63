/** Parses an INFO reply into section-less key/value pairs. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) fields.set(line.slice(0, i), line.slice(i + 1));
  }
  return fields;
}

/** Key counts per db from INFO keyspace lines such as `db3:keys=12,expires=1,avg_ttl=0`. */
export function parseKeyspace(text: string): Map<number, number> {
  const dbs = new Map<number, number>();
  for (const [name, value] of parseInfo(text)) {
    const db = /^db(\d+)$/.exec(name);
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    if (db && keys) dbs.set(Number(db[1]), Number(keys[1]));
  }
  return dbs;
}

/** What INFO says about one node's process and replication role. */
export interface NodeState {
  /** Changes when the process restarts; '' when INFO hides it. */
  runId: string;
  role: 'master' | 'replica';
  /** For a replica: the master it follows, as host:port. */
  masterAddress?: string;
  /** For a replica: the link to its master is up and no full sync is running. */
  inSync: boolean;
  /** `cluster_enabled:1`; undefined when INFO has no cluster section. */
  clusterEnabled?: boolean;
  redisVersion: string;
}

export function nodeState(info: Map<string, string>): NodeState {
  const role = info.get('role') === 'slave' ? 'replica' : 'master';
  const host = info.get('master_host');
  const port = info.get('master_port');
  const enabled = info.get('cluster_enabled');
  return {
    runId: info.get('run_id') ?? '',
    role,
    ...(role === 'replica' && host && port ? { masterAddress: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` } : {}),
    inSync: role === 'master' || (info.get('master_link_status') === 'up' && info.get('master_sync_in_progress') !== '1'),
    ...(enabled === undefined ? {} : { clusterEnabled: enabled === '1' }),
    redisVersion: info.get('redis_version') ?? 'unknown',
  };
}
