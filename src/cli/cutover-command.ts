import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { isValidMigrationId } from '../core/migration-id.js';

/** The file a running follow run watches for; its presence asks for the cutover. */
export function cutoverRequestPath(stateDir: string, migrationId: string): string {
  return join(stateDir, migrationId, 'cutover-requested');
}

/** `redis-ferry cutover <id>`: asks the follow run of that migration (another process) to cut over. */
export async function cutoverCommand(migrationId: string, stateDir: string): Promise<number> {
  if (!isValidMigrationId(migrationId)) throw new ConfigError([`migration id ${JSON.stringify(migrationId)} is not valid`]);
  const dir = join(stateDir, migrationId);
  try {
    await access(join(dir, 'lock'));
  } catch {
    throw new ConfigError([
      `no running migration ${migrationId} in ${stateDir}: start it with redis-ferry migrate --follow (or give --state-dir)`,
    ]);
  }
  await writeFile(cutoverRequestPath(stateDir, migrationId), `${new Date().toISOString()}\n`);
  process.stdout.write(
    `Cutover requested for ${migrationId}: the follow run drains, waits for quiet (rescan: runs final passes) ` +
      'and prints "safe to switch".\n',
  );
  return 0;
}
