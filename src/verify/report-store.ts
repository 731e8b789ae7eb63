import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationVerifyResult } from '../core/verify-report.js';

/** Where a migration's last verification is kept, beside its checkpoints. */
export interface VerifyReportStore {
  /** Saves the result; false when there is no migration to store it with. */
  save(result: MigrationVerifyResult): Promise<boolean>;
  load(): Promise<MigrationVerifyResult | undefined>;
}

/**
 * `<stateDir>/<migrationId>/verify.json`, next to the file checkpoint store's plan.json. Saved
 * only when that directory exists (a migration ran with this id): verifying must not leave state
 * that looks like a migration. Written to a temp file, fsynced and renamed, like the checkpoints.
 */
export class FileVerifyReportStore implements VerifyReportStore {
  readonly path: string;

  constructor(
    stateDir: string,
    readonly migrationId: string,
  ) {
    this.path = join(stateDir, migrationId, 'verify.json');
  }

  async save(result: MigrationVerifyResult): Promise<boolean> {
    const dir = join(this.path, '..');
    if (
      !(await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    )
      return false;
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(result, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.path);
    return true;
  }

  async load(): Promise<MigrationVerifyResult | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as MigrationVerifyResult;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}
