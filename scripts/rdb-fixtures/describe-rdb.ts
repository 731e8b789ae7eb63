/**
 * Writes the expected content of an existing RDB file, as a real redis-server loads it:
 *
 *   node --import tsx scripts/rdb-fixtures/describe-rdb.ts <path/to/redis-server> <file.rdb> <out.json>
 *
 * copies the file into a throwaway server's dir, starts the server on it, and reads every key of every
 * db (expected.ts). Used for the upstream Redis test files in test/fixtures/rdb/, which no server built
 * here can write. The `dump` fields are that server's own re-encoding, not the file's bytes.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { type ExpectedKey, readDb } from './expected.js';
import { withServer } from './server.js';

async function describeFile(client: Redis, file: string, out: string, versionText: string): Promise<void> {
  const dbs = [...(await client.info('keyspace')).matchAll(/^db(\d+):keys=/gm)].map((m) => Number(m[1]));
  const keys: ExpectedKey[] = [];
  // Keys with an expiry need their time, which only the dataset script knows: these files have none.
  for (const db of dbs) keys.push(...(await readDb(client, db, new Map(), false)));
  const expected = {
    producedBy: `loaded by redis-server ${versionText}`,
    script: 'scripts/rdb-fixtures/describe-rdb.ts',
    file,
    encodingNote: 'keys, fields, members and values are base64; `dump` is the loading server re-encoding, not the file',
    keys,
  };
  await writeFile(out, `${JSON.stringify(expected, null, 1)}\n`);
  console.log(`wrote ${out}: ${keys.length} keys in db ${dbs.join(', ')}`);
}

async function main(binary: string | undefined, file: string | undefined, out: string | undefined): Promise<void> {
  if (!binary || !file || !out) throw new Error('usage: describe-rdb.ts <path/to/redis-server> <file.rdb> <out.json>');
  await withServer(
    binary,
    ['--dbfilename', 'loaded.rdb'],
    (client, _dir, text) => describeFile(client, file.split('/').pop()!, out, text),
    (dir) => copyFile(file, join(dir, 'loaded.rdb')),
  );
}

main(process.argv[2], process.argv[3], process.argv[4]).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
