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
