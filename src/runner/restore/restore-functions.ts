import { RedisFunctionsError } from '../../core/errors.js';
import type { RestoreConfig } from '../../core/restore-config.js';
import { walkRdb } from '../../rdb/walk-rdb.js';
import { functionWriteRefusal, onNode, readNodeFunctions } from '../../redis/functions.js';
import { replyText } from '../../redis/redis-errors.js';
import type { TargetLayout } from '../../redis/target-access.js';
import { type LibraryCode, type LibraryRestore, planLibraryRestore } from '../function-restore-plan.js';
import type { OpenedRdb } from './rdb-file.js';

const LEAVE_OUT = 'or leave the functions out with --no-functions ([advanced] functions = false)';

/**
 * Loads the function libraries the file holds onto every target master (FUNCTION LOAD of their
 * code), before the first key and before the plan is saved, with the key conflict policy applied
 * as a copy does (function-restore-plan.ts): `fail` stops on a library of the same name with other
 * code, `replace` overwrites (LOAD REPLACE), `skip` adds the missing ones only. A dry run says what
 * it would do. Functions come first in an RDB file, so only the records before the first key are read.
 */
export async function loadFileFunctions(
  config: RestoreConfig,
  rdb: OpenedRdb,
  target: TargetLayout,
  note: (message: string) => void,
): Promise<void> {
  if (!config.functions) return;
  const libraries = await fileLibraries(rdb);
  if (libraries.length === 0) return;
  const what = `${libraries.length} function librar${libraries.length === 1 ? 'y' : 'ies'} (${libraries.map((l) => l.name).join(', ')})`;
  const steps = await Promise.all(target.masters.map((address) => inspect(config, address, libraries, what)));
  if (config.dryRun) {
    note(
      `dry run: the file holds ${what}; a real run would load them on ${steps.filter((s) => s.step.kind !== 'none').length} target node(s)`,
    );
    return;
  }
  for (const { address, step } of steps) {
    const load = step.kind === 'load' ? libraries.filter((l) => step.names.includes(l.name)) : step.kind === 'restore' ? libraries : [];
    const replace = step.kind === 'restore' && step.policy === 'REPLACE';
    await onNode('target', config.target, address, async (client) => {
      for (const library of load) {
        try {
          await client.call('FUNCTION', 'LOAD', ...(replace ? ['REPLACE'] : []), library.code);
        } catch (error) {
          throw new RedisFunctionsError(
            `target ${address} refused FUNCTION LOAD of library ${library.name} (${replyText(error)}); ${LEAVE_OUT}`,
            {
              cause: error,
            },
          );
        }
      }
    });
  }
  note(`functions: loaded ${what} from the file on ${steps.length} target node(s) (policy ${config.onExistingKey})`);
}

/** The libraries in the file, by the name their first line declares (`#!lua name=mylib`). */
async function fileLibraries(rdb: OpenedRdb): Promise<LibraryCode[]> {
  const libraries: LibraryCode[] = [];
  for await (const record of walkRdb(rdb.source, { header: rdb.header })) {
    if (record.kind === 'key') break;
    const name = /name=([^\s]+)/.exec(record.code.subarray(0, record.code.indexOf(10) >>> 0).toString('utf8'))?.[1] ?? '';
    libraries.push({ name, code: record.code });
  }
  return libraries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What one target master holds and what the policy makes of it; a conflict or a refusal stops the restore before any write. */
async function inspect(
  config: RestoreConfig,
  address: string,
  libraries: LibraryCode[],
  what: string,
): Promise<{ address: string; step: LibraryRestore }> {
  return onNode('target', config.target, address, async (client) => {
    const node = await readNodeFunctions(client, address);
    if (!node.supported)
      throw new RedisFunctionsError(
        `target ${address} runs Redis ${node.redisVersion}, which has no functions (they need 7.0), ` +
          `but the file holds ${what}: upgrade the target, ${LEAVE_OUT}`,
      );
    if (node.libraries.refused)
      throw new RedisFunctionsError(
        `target ${address} refuses FUNCTION LIST (${node.libraries.reason}): allow FUNCTION for the user, ${LEAVE_OUT}`,
      );
    const step = planLibraryRestore(libraries, node.libraries.value, config.onExistingKey);
    if (step.kind === 'conflict')
      throw new RedisFunctionsError(
        `target ${address} already has function librar${step.names.length === 1 ? 'y' : 'ies'} ${step.names.join(', ')} with other code, ` +
          `which the "fail" policy does not overwrite: delete it there, overwrite with --on-existing replace, ${LEAVE_OUT}`,
      );
    const refusal = step.kind === 'none' ? undefined : await functionWriteRefusal(client, 'LOAD');
    if (refusal)
      throw new RedisFunctionsError(`target ${address} refuses FUNCTION LOAD (${refusal.reason}): allow it for the user, ${LEAVE_OUT}`);
    return { address, step };
  });
}
