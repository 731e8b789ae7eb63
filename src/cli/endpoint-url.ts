import { ConfigError } from '../core/errors.js';

export interface UrlEndpoint {
  endpoint: Record<string, unknown>;
  db?: number;
}

/**
 * Parses the flag form of an endpoint:
 *   redis://[user[:password]@]host:port[,host:port…][/db][?cluster=true&replica=true&ca=FILE&servername=NAME&verify=false]
 *   rediss://…                       TLS (certificate verified unless verify=false)
 *   redis-sentinel://host:port[,…]/db?master=NAME   sentinels and the master name they monitor
 * A password in a URL is visible to other local users in `ps`; the REDIS_FERRY_SOURCE_PASSWORD and
 * REDIS_FERRY_TARGET_PASSWORD variables, or a config file with ${VAR}, avoid that.
 */
export function parseEndpointUrl(flag: string, url: string): UrlEndpoint {
  const m = /^(redis|rediss|redis-sentinel|rediss-sentinel):\/\/(?:([^@/]*)@)?([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/.exec(url);
  if (!m) {
    throw new ConfigError([
      `${flag} ${redactUrl(url)}: expected redis://[user:password@]host:port[/db], rediss:// ` +
        `for TLS, or redis-sentinel://host:port?master=NAME`,
    ]);
  }
  const [, scheme, auth, hosts, db, query] = m;
  const params = new URLSearchParams(query ?? '');
  const known = new Set(['cluster', 'replica', 'ca', 'servername', 'verify', 'master']);
  for (const name of params.keys()) {
    if (!known.has(name)) throw new ConfigError([`${flag}: unknown URL option "${name}"; known: ${[...known].join(', ')}`]);
  }
  let username: string | undefined;
  let password: string | undefined;
  if (auth) {
    const i = auth.indexOf(':');
    username = decodeURIComponent(i < 0 ? auth : auth.slice(0, i)) || undefined;
    password = i < 0 ? undefined : decodeURIComponent(auth.slice(i + 1));
  }
  const sentinel = scheme!.endsWith('sentinel');
  const tls = scheme!.startsWith('rediss');
  const endpoint: Record<string, unknown> = {
    topology: sentinel ? 'sentinel' : params.get('cluster') === 'true' ? 'cluster' : 'auto',
    addresses: hosts!.split(','),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: {
      enabled: tls,
      ...(params.get('ca') ? { caFile: params.get('ca') } : {}),
      ...(params.get('servername') ? { servername: params.get('servername') } : {}),
      verify: params.get('verify') !== 'false',
    },
    ...(params.get('master') ? { masterName: params.get('master') } : {}),
    preferReplica: params.get('replica') === 'true',
  };
  return { endpoint, ...(db !== undefined ? { db: Number(db) } : {}) };
}

/** The URL with any password replaced, safe for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}
