/**
 * Writes one RDB fixture and its expected content, from a real (usually older) redis-server:
 *
 *   node --import tsx scripts/rdb-fixtures/write-fixture.ts <path/to/redis-server> <name>
 *
 * starts that binary on a free loopback port in a temp dir, writes the dataset (dataset.ts), BGSAVEs,
 * copies the file to test/fixtures/rdb/<name>.rdb and writes <name>.json beside it (expected.ts), then
 * stops the server it started. test/fixtures/rdb/README.md says which binaries made the committed files.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { KEY_EXPIRIES, type ServerVersion, writeCompact, writeGeneral, writeStream, writeStrings } from './dataset.js';
import { type ExpectedKey, readDb } from './expected.js';
import { until, withServer } from './server.js';

const OUT_DIR = fileURLToPath(new URL('../../test/fixtures/rdb/', import.meta.url));
const LIBRARY = "#!lua name=ferrylib\nredis.register_function('ferry_echo', function(keys, args) return args[1] end)";

async function bgsave(client: Redis): Promise<void> {
  await client.bgsave();
  await until('BGSAVE', async () => {
    const info = await client.info('persistence');
    return /rdb_bgsave_in_progress:0/.test(info) && /rdb_changes_since_last_save:0/.test(info);
  });
  if (!/rdb_last_bgsave_status:ok/.test(await client.info('persistence'))) throw new Error('BGSAVE failed');
}

/** A key that has expired but is still in memory (active expiry off, never touched), so the RDB holds it. */
async function writeExpired(client: Redis): Promise<{ db: number; key: string; expireAtMs: number }> {
  await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
  const expireAtMs = Date.now() + 30;
  await client.set('str:expired', 'already gone');
  await client.pexpireat('str:expired', expireAtMs);
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { db: 0, key: Buffer.from('str:expired').toString('base64'), expireAtMs };
}

async function writeDataset(client: Redis, version: ServerVersion) {
  await client.flushall();
  await writeStrings(client);
  await writeCompact(client, version);
  await writeStream(client, version);
  await writeGeneral(client, version);
  await client.select(2);
  await client.set('db2:expiring', 'in db 2');
  await client.pexpireat('db2:expiring', KEY_EXPIRIES.get('db2:expiring')!);
  await client.hset('db2:hash', 'field', 'value');
  await client.select(0);
  if (version.major >= 7) await client.call('FUNCTION', 'LOAD', LIBRARY);
  return writeExpired(client);
}

async function produce(client: Redis, dir: string, name: string, versionText: string, version: ServerVersion) {
  const expired = await writeDataset(client, version);
  await bgsave(client);
  const rdb = await readFile(join(dir, 'dump.rdb'));
  const keys: ExpectedKey[] = [];
  for (const db of [0, 2])
    keys.push(...(await readDb(client, db, KEY_EXPIRIES, version.major > 7 || (version.major === 7 && version.minor >= 4))));
  const expected = {
    producedBy: `redis-server ${versionText}`,
    script: 'scripts/rdb-fixtures/write-fixture.ts',
    rdbVersion: Number(rdb.subarray(5, 9).toString('latin1')),
    encodingNote: 'keys, fields, members and values are base64; scores, ids and counters as the server replied them',
    functions: version.major >= 7 ? [LIBRARY] : [],
    expiredKeys: [expired],
    keys,
  };
  await copyFile(join(dir, 'dump.rdb'), join(OUT_DIR, `${name}.rdb`));
  await writeFile(join(OUT_DIR, `${name}.json`), `${JSON.stringify(expected, null, 1)}\n`);
  console.log(`wrote ${name}.rdb (${rdb.length} bytes, RDB ${expected.rdbVersion}) and ${name}.json: ${keys.length} keys`);
}

async function main(binary: string | undefined, name: string | undefined): Promise<void> {
  if (!binary || !name) throw new Error('usage: write-fixture.ts <path/to/redis-server> <fixture name, e.g. redis-6.2>');
  await withServer(binary, [], (client, dir, text, version) => produce(client, dir, name, text, version));
}

main(process.argv[2], process.argv[3]).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
