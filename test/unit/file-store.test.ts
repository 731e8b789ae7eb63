import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import { CheckpointConflictError, MigrationError } from '../../src/core/errors.js';

describe('Class: FileCheckpointStore', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ferry-store-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('saves atomically and versions every write', async () => {
    const store = new FileCheckpointStore(dir, 'm1');
    const saved = await store.saveUnit({ ...newCheckpoint('shard 0-5460/db0'), cursor: '18446744073709551615' });
    assert.equal(saved.version, 1);
    const reread = await new FileCheckpointStore(dir, 'm1').loadUnit('shard 0-5460/db0');
    assert.equal(reread?.cursor, '18446744073709551615', 'cursors above 2^53 survive as strings');
    assert.deepEqual(await readdir(join(dir, 'm1', 'units')), ['shard%200-5460%2Fdb0.json'], 'no temp files left behind');
  });

  it('refuses a save based on a stale version', async () => {
    const store = new FileCheckpointStore(dir, 'm2');
    const first = await store.saveUnit(newCheckpoint('u'));
    await store.saveUnit(first);
    await assert.rejects(new FileCheckpointStore(dir, 'm2').saveUnit(first), CheckpointConflictError);
  });

  it("lets one process at a time hold a migration, and takes over a dead holder's lock", async () => {
    const store = new FileCheckpointStore(dir, 'm3');
    const holder = await lockInChild(dir, 'm3');
    try {
      await assert.rejects(store.lock(), (error: Error) => {
        assert.ok(error instanceof MigrationError);
        assert.match(error.message, new RegExp(`is in use by process ${holder.pid}; wait for it to finish or stop it first`));
        return true;
      });
    } finally {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
    const unlock = await store.lock();
    assert.equal(await readFile(join(dir, 'm3', 'lock'), 'utf8'), String(process.pid), 'the dead holder was replaced');
    await unlock();
    assert.deepEqual(await readdir(join(dir, 'm3')), [], 'unlock removes the lock file');
  });
});

/** Another process holding `migrationId`'s lock (until killed); resolves once it holds it. */
async function lockInChild(stateDir: string, migrationId: string): Promise<ChildProcess> {
  const module = new URL('../../src/checkpoint/file-store.ts', import.meta.url).href;
  const script = `const { FileCheckpointStore } = await import(${JSON.stringify(module)});
await new FileCheckpointStore(${JSON.stringify(stateDir)}, ${JSON.stringify(migrationId)}).lock();
console.log('locked');
setInterval(() => {}, 60_000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => String(chunk).includes('locked') && resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before locking: ${stderr}`)));
  });
  return child;
}
