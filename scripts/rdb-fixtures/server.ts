import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ServerVersion } from './dataset.js';

export function serverVersion(binary: string): { text: string; version: ServerVersion } {
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

export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Runs `work` against a throwaway `binary` on a free loopback port, in a temp dir (its `dir`), with
 * `extraArgs` appended (e.g. --dbfilename to load a file copied there), then stops the server it started
 * (by its own ChildProcess) and removes the dir.
 */
export async function withServer(
  binary: string,
  extraArgs: string[],
  work: (client: Redis, dir: string, versionText: string, version: ServerVersion) => Promise<void>,
  prepare?: (dir: string) => Promise<void>,
): Promise<void> {
  const { text, version } = serverVersion(binary);
  const dir = await mkdtemp(join(tmpdir(), 'redis-ferry-rdb-fixture-'));
  await prepare?.(dir);
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', 'redis.log'];
  if (version.major >= 7) args.push('--enable-debug-command', 'local');
  const child: ChildProcess = spawn(binary, [...args, ...extraArgs], { stdio: 'ignore' });
  const client = new Redis({ host: '127.0.0.1', port, protocol: 2, lazyConnect: true, retryStrategy: () => 100 });
  client.on('error', () => {}); // refused connects while the server starts: `until` retries
  try {
    await until('the server to answer', async () => (await client.ping()) === 'PONG');
    await work(client, dir, text, version);
  } finally {
    client.disconnect();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
    await rm(dir, { recursive: true, force: true });
  }
}
