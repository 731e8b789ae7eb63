/**
 * Writes one RDB fixture and its expected content, from a real (usually older) redis-server:
 *
 *   node --import tsx scripts/rdb-fixtures/write-fixture.ts <path/to/redis-server> <name>
 *
 * starts that binary on a free loopback port in a temp dir, writes the dataset (dataset.ts), BGSAVEs,
 * copies the file to test/fixtures/rdb/<name>.rdb and writes <name>.json beside it (expected.ts), then
 * stops the server it started. test/fixtures/rdb/README.md says which binaries made the committed files.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { KEY_EXPIRIES, type ServerVersion, writeCompact, writeGeneral, writeStream, writeStrings } from './dataset.js';
import { type ExpectedKey, readDb } from './expected.js';

const OUT_DIR = fileURLToPath(new URL('../../test/fixtures/rdb/', import.meta.url));
const LIBRARY = "#!lua name=ferrylib\nredis.register_function('ferry_echo', function(keys, args) return args[1] end)";

function serverVersion(binary: string): { text: string; version: ServerVersion } {
  const printed = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const match = /v=((\d+)\.(\d+)\.\d+)/.exec(printed);
  if (!match) throw new Error(`${binary} --version printed no version: ${printed}`);
  return { text: match[1]!, version: { major: Number(match[2]), minor: Number(match[3]) } };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

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
  const { text, version } = serverVersion(binary);
  const dir = await mkdtemp(join(tmpdir(), 'redis-ferry-rdb-fixture-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', 'redis.log'];
  if (version.major >= 7) args.push('--enable-debug-command', 'local');
  const child: ChildProcess = spawn(binary, args, { stdio: 'ignore' });
  const client = new Redis({ host: '127.0.0.1', port, protocol: 2, lazyConnect: true, retryStrategy: () => 100 });
  client.on('error', () => {}); // refused connects while the server starts: `until` retries
  try {
    await until('the server to answer', async () => (await client.ping()) === 'PONG');
    await produce(client, dir, name, text, version);
  } finally {
    client.disconnect();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    await rm(dir, { recursive: true, force: true });
  }
}

main(process.argv[2], process.argv[3]).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
