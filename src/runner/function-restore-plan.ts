import type { ConflictPolicy } from '../core/config.js';

/** What a library is for the plan: its name and its code. */
export interface LibraryCode {
  name: string;
  code: Buffer;
}

/**
 * What to do on one target node with the source's libraries:
 * - `none`: nothing to write (every library is there with the same code, or kept by `skip`);
 * - `restore`: FUNCTION RESTORE of the source's dump with APPEND or REPLACE;
 * - `load`: FUNCTION LOAD of these libraries only (`skip` with some already there: a dump holds all);
 * - `conflict`: the `fail` policy meets libraries of the same name with other code.
 */
export type LibraryRestore =
  | { kind: 'none' }
  | { kind: 'restore'; policy: 'APPEND' | 'REPLACE' }
  | { kind: 'load'; names: string[] }
  | { kind: 'conflict'; names: string[] };

/**
 * Applies the key conflict policy to libraries. A library already on the target with the same
 * code is never a conflict, so a plan made again (a retried plan step, --fresh) goes through.
 * `fail`: other code under the same name stops the run (RESTORE APPEND would refuse it too);
 * REPLACE is used only when the libraries it would overwrite are identical. `replace`: REPLACE.
 * `skip`: the target's libraries stay; the missing ones are added.
 */
export function planLibraryRestore(source: LibraryCode[], target: LibraryCode[], policy: ConflictPolicy): LibraryRestore {
  const onTarget = new Map(target.map((l) => [l.name, l.code]));
  const missing = source.filter((l) => !onTarget.has(l.name)).map((l) => l.name);
  const present = source.filter((l) => onTarget.has(l.name));
  const differing = present.filter((l) => !onTarget.get(l.name)!.equals(l.code)).map((l) => l.name);
  if (policy === 'fail' && differing.length > 0) return { kind: 'conflict', names: differing };
  if (policy === 'replace' ? missing.length + differing.length === 0 : missing.length === 0) return { kind: 'none' };
  if (present.length === 0) return { kind: 'restore', policy: 'APPEND' };
  if (policy === 'skip') return { kind: 'load', names: missing };
  return { kind: 'restore', policy: 'REPLACE' };
}
