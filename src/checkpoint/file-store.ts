import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStore, MigrationPlan, UnitCheckpoint } from '../core/contracts.js';
import { CheckpointConflictError, MigrationError } from '../core/errors.js';

/** Default state directory, relative to where the CLI runs. */
export const DEFAULT_STATE_DIR = '.redis-ferry';

/**
 * Checkpoints as JSON files under `<stateDir>/<migrationId>/`: plan.json and units/<unit>.json.
 * Each write goes to a temp file that is fsynced and renamed over the old one, so a crash at any
 * point leaves either the previous checkpoint or the new one, never a torn file. A lock file
 * (holding the pid) keeps two processes from running the same migration at once.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly dir: string;
  private readonly versions = new Map<string, number>();
  /** Directories this store has created (or found) already. */
  private readonly dirsMade = new Set<string>();

  constructor(stateDir: string, migrationId: string) {
    this.dir = join(stateDir, migrationId);
  }

  async loadPlan(): Promise<MigrationPlan | undefined> {
    return this.readJson<MigrationPlan>(join(this.dir, 'plan.json'));
  }

  async savePlan(plan: MigrationPlan): Promise<void> {
    await this.writeAtomic(join(this.dir, 'plan.json'), plan);
  }

  async loadUnit(unitId: string): Promise<UnitCheckpoint | undefined> {
    const unit = await this.readJson<UnitCheckpoint>(this.unitPath(unitId));
    if (unit) this.versions.set(unitId, unit.version);
    return unit;
  }

  async saveUnit(checkpoint: UnitCheckpoint): Promise<UnitCheckpoint> {
    const stored =
      this.versions.get(checkpoint.unitId) ?? (await this.readJson<UnitCheckpoint>(this.unitPath(checkpoint.unitId)))?.version ?? 0;
    if (stored !== checkpoint.version) {
      throw new CheckpointConflictError(
        `unit ${checkpoint.unitId} was advanced elsewhere (version ${stored}, expected ${checkpoint.version})`,
      );
    }
    const next = { ...checkpoint, version: checkpoint.version + 1 };
    await this.writeAtomic(this.unitPath(checkpoint.unitId), next);
    this.versions.set(checkpoint.unitId, next.version);
    return next;
  }

  /** Removes the migration's directory if nothing was saved in it (a run refused before planning). */
  async removeIfEmpty(): Promise<void> {
    await rmdir(this.dir).catch(() => {});
  }

  /** Removes all state of this migration (`--fresh`). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    this.versions.clear();
    this.dirsMade.clear();
  }

  /**
   * Takes the migration's lock file, or fails naming the pid that holds it. A lock left by a
   * process that no longer exists (killed with SIGKILL) is taken over.
   */
  async lock(): Promise<() => Promise<void>> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        return () => unlink(path).catch(() => {});
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (holder && holder !== process.pid && isAlive(holder)) {
          throw new MigrationError(`migration state ${this.dir} is in use by process ${holder}; wait for it to finish or stop it first`);
        }
        await unlink(path).catch(() => {});
      }
    }
    throw new MigrationError(`could not lock ${this.dir}`);
  }

  private unitPath(unitId: string): string {
    return join(this.dir, 'units', `${encodeURIComponent(unitId)}.json`);
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new MigrationError(`checkpoint file ${path} is unreadable (${(error as Error).message}); run with --fresh to start over`, {
        cause: error,
      });
    }
  }

  private async writeAtomic(path: string, value: unknown): Promise<void> {
    const dir = join(path, '..');
    // Once per directory: a unit saves after every batch it copies.
    if (!this.dirsMade.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirsMade.add(dir);
    }
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w');
    try {
      // One write: FileHandle.writeFile costs several times more on the main thread, per save.
      const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
      for (let at = 0; at < bytes.length; ) at += (await handle.write(bytes, at)).bytesWritten;
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
