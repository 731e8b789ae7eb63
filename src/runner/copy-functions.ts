import type { EndpointConfig, MigrationConfig } from '../core/config.js';
import { RedisFunctionsError } from '../core/errors.js';
import {
  dumpFunctions,
  type FunctionLibrary,
  functionWriteRefusal,
  loadLibrary,
  onNode,
  readNodeFunctions,
  restoreFunctions,
} from '../redis/functions.js';
import { replyText } from '../redis/redis-errors.js';
import { ReplyError } from '../redis/resp-pipe.js';
import type { SourceLayout } from '../redis/source-access.js';
import type { TargetLayout } from '../redis/target-access.js';
import { type LibraryRestore, planLibraryRestore } from './function-restore-plan.js';

const LEAVE_OUT = 'or leave the functions out with --no-functions ([advanced] functions = false)';

interface SourceFunctions {
  address: string;
  libraries: FunctionLibrary[];
  /** FUNCTION DUMP of `address`: every library in one payload. */
  payload: Buffer;
}

interface TargetStep {
  address: string;
  step: LibraryRestore;
  /** Why this node cannot take the libraries, in one line with the fix. */
  problem?: string;
}

/**
 * Copies the source's Redis 7 function libraries to the target, once per migration, before the
 * first key (a key's users may call them) and before the plan is saved, so a target that cannot
 * take them stops the run with nothing written and nothing stored. A cluster's functions live on
 * each node: they are read from one source node (and the others checked against it) and written
 * to every target master. A dry run reads, checks and counts, and writes nothing.
 */
export async function copyFunctions(
  config: MigrationConfig,
  source: SourceLayout,
  target: TargetLayout,
  note: (message: string) => void,
): Promise<void> {
  if (!config.functions) return;
  const found = await readSourceFunctions(
    config.source,
    source.shards.map((s) => s.address),
    note,
  );
  if (!found) return;
  const what = describeLibraries(found.libraries);
  const steps = await Promise.all(target.masters.map((address) => inspectTarget(config, address, found.libraries, what)));
  const problems = steps.flatMap((s) => (s.problem ? [s.problem] : []));
  if (problems.length > 0) {
    const message = `${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more target master(s) likewise)` : ''}`;
    if (!config.dryRun) throw new RedisFunctionsError(message);
    note(`a real run would stop here: ${message}`);
    return;
  }
  const writes = steps.filter((s) => s.step.kind !== 'none');
  const where = steps.length === 1 ? `target ${steps[0]!.address}` : `${writes.length} of ${steps.length} target masters`;
  if (config.dryRun) {
    note(`dry run: the source has ${what}; a real run would write them to ${writes.length === 0 ? 'no target node' : where} first`);
    return;
  }
  for (const step of writes) await writeTarget(config.target, step, found);
  if (writes.length > 0) {
    note(`functions: copied ${what} from source ${found.address} to ${where} (${describeStep(writes[0]!.step)})`);
    return;
  }
  const kept = config.onExistingKey === 'skip' ? 'there already (same code, or kept under the skip policy)' : 'there with the same code';
  note(`functions: nothing to copy, the source's ${what} ${found.libraries.length === 1 ? 'is' : 'are'} ${kept}`);
}

/**
 * The libraries of the source node that has the most (nodes before 7.0 have none). A node that
 * refuses FUNCTION LIST leaves them unknown: noted, not fatal, since few sources use functions and
 * a read-only user scoped to SCAN/DUMP/PTTL is common.
 */
async function readSourceFunctions(
  endpoint: EndpointConfig,
  addresses: string[],
  note: (message: string) => void,
): Promise<SourceFunctions | undefined> {
  const nodes = await Promise.all([...new Set(addresses)].map((a) => onNode('source', endpoint, a, (c) => readNodeFunctions(c, a))));
  const lists: FunctionLibrary[][] = [];
  for (const node of nodes) {
    if (node.libraries.refused) {
      note(
        `source ${node.address} refuses FUNCTION LIST (${node.libraries.reason}): its Redis 7 functions, if any, are not copied; ` +
          'grant the user +function|list +function|dump to copy them, or set --no-functions to skip them',
      );
      return undefined;
    }
    lists.push(node.libraries.value);
  }
  const best = lists.reduce((b, list, i) => (list.length > lists[b]!.length ? i : b), 0);
  const libraries = lists[best] ?? [];
  const differing = nodes.filter((_, i) => !sameLibraries(lists[i]!, libraries)).map((n) => n.address);
  if (differing.length > 0) {
    note(
      `source nodes differ in their function libraries (${differing.join(', ')} do not hold the same as ${nodes[best]!.address}); ` +
        `copying those of ${nodes[best]!.address}: ${libraries.map((l) => l.name).join(', ')}`,
    );
  }
  if (libraries.length === 0) return undefined;
  const address = nodes[best]!.address;
  return { address, libraries, payload: await onNode('source', endpoint, address, dumpFunctions) };
}

/** What one target master holds, and what the policy makes of it; checks the write is allowed. */
async function inspectTarget(config: MigrationConfig, address: string, libraries: FunctionLibrary[], what: string): Promise<TargetStep> {
  return onNode('target', config.target, address, async (client) => {
    const node = await readNodeFunctions(client, address);
    const none: LibraryRestore = { kind: 'none' };
    if (!node.supported) {
      const problem =
        `target ${address} runs Redis ${node.redisVersion}, which has no functions (they need 7.0), ` +
        `but the source has ${what}: upgrade the target, ${LEAVE_OUT}`;
      return { address, step: none, problem };
    }
    if (node.libraries.refused) return { address, step: none, problem: refusedMessage(address, 'LIST', node.libraries.reason, what) };
    const step = planLibraryRestore(libraries, node.libraries.value, config.onExistingKey);
    if (step.kind === 'conflict') return { address, step, problem: conflictMessage(address, step.names) };
    if (step.kind === 'none') return { address, step };
    const command = step.kind === 'load' ? 'LOAD' : 'RESTORE';
    const refusal = await functionWriteRefusal(client, command);
    return refusal ? { address, step, problem: refusedMessage(address, command, refusal.reason, what) } : { address, step };
  });
}

async function writeTarget(endpoint: EndpointConfig, { address, step }: TargetStep, found: SourceFunctions): Promise<void> {
  await onNode('target', endpoint, address, async (client) => {
    try {
      if (step.kind === 'restore') await restoreFunctions(client, found.payload, step.policy);
      if (step.kind !== 'load') return;
      for (const library of found.libraries) if (step.names.includes(library.name)) await loadLibrary(client, library);
    } catch (error) {
      if (!(error instanceof ReplyError)) throw error;
      throw new RedisFunctionsError(`target ${address} refused ${describeStep(step)} (${replyText(error)}); ${LEAVE_OUT}`, {
        cause: error,
      });
    }
  });
}

function refusedMessage(address: string, command: string, reason: string, what: string): string {
  return (
    `target ${address} refuses FUNCTION ${command} (${reason}), so the source's ${what} cannot be copied there: ` +
    `allow FUNCTION for the user (ACL: +function|list +function|restore +function|load), ${LEAVE_OUT}`
  );
}

function conflictMessage(address: string, names: string[]): string {
  const list = names.join(', ');
  return (
    `target ${address} already has function ${names.length === 1 ? 'library' : 'libraries'} ${list} with other code, which the ` +
    `"fail" policy (redis-shake "panic") does not overwrite: delete ${names.length === 1 ? 'it' : 'them'} there ` +
    `(FUNCTION DELETE ${names[0]}), overwrite with --on-existing replace (rdb_restore_command_behavior = "rewrite"), ${LEAVE_OUT}`
  );
}

function describeStep(step: LibraryRestore): string {
  return step.kind === 'restore' ? `FUNCTION RESTORE ${step.policy}` : 'FUNCTION LOAD of the missing libraries';
}

/** "1 function library (mylib, 1 function)", "3 function libraries (a, b, c; 7 functions)". */
function describeLibraries(libraries: FunctionLibrary[]): string {
  const functions = libraries.reduce((n, l) => n + l.functions.length, 0);
  const shown = libraries.slice(0, 5).map((l) => l.name);
  const names = `${shown.join(', ')}${libraries.length > shown.length ? ', …' : ''}`;
  const count = `${functions} function${functions === 1 ? '' : 's'}`;
  const one = libraries.length === 1;
  return `${libraries.length} function ${one ? 'library' : 'libraries'} (${names}${one ? ',' : ';'} ${count})`;
}

function sameLibraries(a: FunctionLibrary[], b: FunctionLibrary[]): boolean {
  const byName = new Map(b.map((l) => [l.name, l.code]));
  return a.length === b.length && a.every((l) => byName.get(l.name)?.equals(l.code) === true);
}
