import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { RedisServer } from './redis-server.js';
import { parseInfo, waitUntil } from './wait.js';

/**
 * RDB files written by a real redis-server: load a dataset, BGSAVE, wait for it to finish, and hand
 * back the file's path (inside the server's temp dir, so it goes when the server stops). Each saved
 * file gets its own name, so several can be taken from one server.
 */

/** redis-server flags a fixture server needs: DEBUG (plain quicklist nodes) from our loopback client. */
export const RDB_FIXTURE_SERVER_ARGS = ['--enable-debug-command', 'yes'];

let saves = 0;

/** BGSAVEs the server and copies the file to `<name>.rdb` in its dir; resolves with the path once the save has finished. */
export async function saveRdb(server: RedisServer, name = `fixture-${++saves}`): Promise<string> {
  const client = server.client();
  try {
    const file = `${name}.rdb`;
    const dumped = join(server.dir, String((await client.config('GET', 'dbfilename'))[1]));
    await waitUntil(async () => (await persistence(client)).rdb_bgsave_in_progress === '0' || 'a save is running', {
      description: 'no background save in progress',
    });
    const before = Number(await client.lastsave());
    const startedAt = Number((await persistence(client)).rdb_saves ?? '0');
    await client.bgsave();
    await waitUntil(
      async () => {
        const info = await persistence(client);
        if (info.rdb_bgsave_in_progress !== '0') return 'BGSAVE still running';
        if (info.rdb_last_bgsave_status !== 'ok') throw new Error(`BGSAVE failed: ${server.logTail(5)}`);
        const done = info.rdb_saves === undefined ? Number(await client.lastsave()) >= before : Number(info.rdb_saves) > startedAt;
        return done || 'BGSAVE not finished yet';
      },
      { description: `BGSAVE of ${server.address} into ${file}` },
    );
    // dbfilename is a protected config: the save lands in dump.rdb and is copied to its own name.
    await copyFile(dumped, join(server.dir, file));
    return join(server.dir, file);
  } finally {
    client.disconnect();
  }
}

async function persistence(client: Redis): Promise<Record<string, string>> {
  return parseInfo(await client.info('persistence'));
}

/** The thresholds that choose compact encodings (listpack, intset) over the big ones, and their defaults. */
const THRESHOLDS = ['hash-max-listpack-entries', 'zset-max-listpack-entries', 'set-max-intset-entries', 'list-max-listpack-size'];

/** Makes every collection written next use its compact encoding (`compact`) or its big one (`big`). */
export async function forceEncodings(client: Redis, mode: 'compact' | 'big'): Promise<void> {
  const value = mode === 'compact' ? '512' : '0';
  for (const name of THRESHOLDS) {
    // list-max-listpack-size 1: one element per quicklist node (a multi-node list); 0 is not allowed.
    await client.config('SET', name, name.startsWith('list') && mode === 'big' ? '1' : value);
  }
}
