import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../src/core/errors.js';

/** Copies of the scenario configs users bring from redis-shake, kept byte for byte. */
export const SCENARIOS_DIR = fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url));

/** A fresh temporary folder for config files a test writes; `remove` it in an after hook. */
export function tempConfigDir(prefix: string): { write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    write: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The problems of the ConfigError `fn` throws; fails the test if it throws none (and rethrows any other error). */
export function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
}
