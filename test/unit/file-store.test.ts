import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { newCheckpoint } from '../../src/core/contracts.js';
import { CheckpointConflictError } from '../../src/core/errors.js';

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
    const unlock = await store.lock();
    await unlock();
    const again = await store.lock();
    await again();
  });
});
