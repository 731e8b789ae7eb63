import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { versionHasFunctions } from '../../src/redis/functions.js';
import { type LibraryCode, planLibraryRestore } from '../../src/runner/function-restore-plan.js';

const lib = (name: string, body = 'return 1'): LibraryCode => ({
  name,
  code: Buffer.from(`#!lua name=${name}\nredis.register_function('${name}_f', function() ${body} end)`),
});

describe('Function: planLibraryRestore', () => {
  const source = [lib('a'), lib('b')];

  it('appends to a target without any of the libraries, whatever the policy', () => {
    for (const policy of ['fail', 'replace', 'skip'] as const) {
      assert.deepEqual(planLibraryRestore(source, [lib('other')], policy), { kind: 'restore', policy: 'APPEND' }, policy);
    }
  });

  it('fail: stops on a library of the same name with other code, naming only those', () => {
    assert.deepEqual(planLibraryRestore(source, [lib('a'), lib('b', 'return 2')], 'fail'), { kind: 'conflict', names: ['b'] });
  });

  it('fail: identical libraries are no conflict (a plan made again goes through)', () => {
    assert.deepEqual(planLibraryRestore(source, [lib('a'), lib('b')], 'fail'), { kind: 'none' });
    // REPLACE then rewrites only the identical library, and adds the missing one.
    assert.deepEqual(planLibraryRestore(source, [lib('a')], 'fail'), { kind: 'restore', policy: 'REPLACE' });
  });

  it('replace: overwrites what differs, and writes nothing when all is there already', () => {
    assert.deepEqual(planLibraryRestore(source, [lib('a', 'return 2')], 'replace'), { kind: 'restore', policy: 'REPLACE' });
    assert.deepEqual(planLibraryRestore(source, [lib('b'), lib('a')], 'replace'), { kind: 'none' });
  });

  it("skip: keeps the target's libraries and loads only the missing ones", () => {
    assert.deepEqual(planLibraryRestore(source, [lib('a', 'return 2')], 'skip'), { kind: 'load', names: ['b'] });
    assert.deepEqual(planLibraryRestore(source, [lib('a', 'return 2'), lib('b', 'return 3')], 'skip'), { kind: 'none' });
  });
});

describe('Function: versionHasFunctions', () => {
  it('is true from Redis 7.0 on, and leaves an unknown version to the server to answer', () => {
    assert.deepEqual(['6.2.14', '7.0.15', '7.2.4', '8.0.0', 'unknown'].map(versionHasFunctions), [false, true, true, true, true]);
  });
});
