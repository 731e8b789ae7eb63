import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { seedStrings } from '../fixtures/mixed-dataset.js';
import { oneErrorLine, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

const MYLIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";
const TOOLS = "#!lua name=tools\nredis.register_function('double', function(keys, args) return args[1] * 2 end)";
const OTHER_MYLIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return 'the target version' end)";

/** One pattern from consecutive parts (long messages, short lines). */
const seq = (...parts: RegExp[]) => new RegExp(parts.map((p) => p.source).join(''));

/** Library name → code, as FUNCTION LIST WITHCODE reports it. */
async function libraries(client: Redis): Promise<Record<string, string>> {
  const reply = (await client.call('FUNCTION', 'LIST', 'WITHCODE')) as string[][];
  return Object.fromEntries(reply.map((entry) => [entry[1]!, entry[7]!]));
}

describe('Redis 7 functions (FUNCTION DUMP / RESTORE) go before the keys', () => {
  let source: RedisServer;
  let target: RedisServer;
  let work: string;

  before(async () => {
    [source, target] = await Promise.all([
      startRedis({ password: 'src-pw' }),
      // A user who may do everything a copy needs but FUNCTION (as on a locked-down managed target).
      startRedis({ aclUsers: [{ name: 'nofunction', password: 'pw', rules: '~* +@all -function' }] }),
    ]);
    work = await mkdtemp(join(tmpdir(), 'ferry-functions-'));
    await source.client().call('FUNCTION', 'LOAD', MYLIB);
    await source.client().call('FUNCTION', 'LOAD', TOOLS);
    await seedStrings(source.client(), 200, 'fn:');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await target.client().flushall();
    await target.client().call('FUNCTION', 'FLUSH');
  });

  const migrate = (...flags: string[]) =>
    runCli(['migrate', '--source', `redis://${source.address}`, '--target', `redis://${target.address}`, '--fresh', ...flags], {
      REDIS_FERRY_SOURCE_PASSWORD: 'src-pw',
    }).then((result) => ({ ...result, flags }));
  const run = (...flags: string[]) => migrate('--state-dir', join(work, 'state'), '--progress', 'plain', ...flags);

  it('copies every library, then the keys: FCALL works on the target', async () => {
    const result = await run();
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      seq(
        /note: functions: copied 2 function libraries \(mylib, tools; 2 functions\) /,
        /from source 127\.0\.0\.1:\d+ to target 127\.0\.0\.1:\d+ \(FUNCTION RESTORE APPEND\)/,
      ),
    );
    assert.equal(await target.client().call('FCALL', 'myfunc', '0', 'hello'), 'hello');
    assert.equal(await target.client().call('FCALL', 'double', '0', '21'), 42);
    assert.deepEqual(await libraries(target.client()), await libraries(source.client()));
    await assertSameData(source.client(), target.client());
  });

  it('a library of the same name with other code on the target: one line naming it and the fixes, nothing written', async () => {
    await target.client().call('FUNCTION', 'LOAD', OTHER_MYLIB);
    const line = oneErrorLine(await run(), { code: 1 });
    assert.match(
      line,
      seq(
        /^redis-ferry: target 127\.0\.0\.1:\d+ already has function library mylib with other code, /,
        /which the "fail" policy .* does not overwrite: .*FUNCTION DELETE mylib.*--on-existing replace.*--no-functions/,
      ),
    );
    assert.equal(await target.client().dbsize(), 0, 'no key was written');
    assert.deepEqual(await libraries(target.client()), { mylib: OTHER_MYLIB }, "the target's library is untouched");
  });

  it('the same libraries already on the target are no conflict (a migration planned again)', async () => {
    await target.client().call('FUNCTION', 'LOAD', MYLIB);
    const result = await run();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /functions: copied .* \(FUNCTION RESTORE REPLACE\)/, 'the identical one is rewritten, tools added');
    assert.deepEqual(await libraries(target.client()), await libraries(source.client()));
  });

  it("--on-existing replace overwrites the target's library; skip keeps it and loads only the missing one", async () => {
    await target.client().call('FUNCTION', 'LOAD', OTHER_MYLIB);
    const skipped = await run('--on-existing', 'skip');
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stderr, /functions: copied .* \(FUNCTION LOAD of the missing libraries\)/);
    assert.equal(await target.client().call('FCALL', 'myfunc', '0', 'x'), 'the target version');
    assert.equal(await target.client().call('FCALL', 'double', '0', '2'), 4);

    const replaced = await run('--on-existing', 'replace');
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.equal(await target.client().call('FCALL', 'myfunc', '0', 'x'), 'x');
    assert.deepEqual(await libraries(target.client()), await libraries(source.client()));
  });

  it('--no-functions leaves them out and copies the keys', async () => {
    const result = await run('--no-functions');
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /functions:/);
    assert.deepEqual(await libraries(target.client()), {});
    await assertSameData(source.client(), target.client());
  });

  it('a target user without FUNCTION: one line naming the refusal and --no-functions, nothing written', async () => {
    const result = await runCli(
      [
        'migrate',
        '--source',
        `redis://${source.address}`,
        '--target',
        `redis://nofunction:pw@${target.address}`,
        '--state-dir',
        join(work, 'state'),
        '--progress',
        'none',
      ],
      { REDIS_FERRY_SOURCE_PASSWORD: 'src-pw' },
    );
    const line = oneErrorLine(result, { code: 1 });
    assert.match(
      line,
      seq(
        /^redis-ferry: target 127\.0\.0\.1:\d+ refuses FUNCTION LIST \(NOPERM .*\), /,
        /so the source's 2 function libraries \(mylib, tools; 2 functions\) cannot be copied there: .*--no-functions/,
      ),
    );
    assert.equal(await target.client().dbsize(), 0);
  });

  it('a dry run counts the libraries, checks the target, and writes nothing', async () => {
    const result = await run('--dry-run');
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      seq(
        /note: dry run: the source has 2 function libraries \(mylib, tools; 2 functions\); /,
        /a real run would write them to target 127\.0\.0\.1:\d+ first/,
      ),
    );
    assert.deepEqual(await libraries(target.client()), {});

    await target.client().call('FUNCTION', 'LOAD', OTHER_MYLIB);
    const refused = await run('--dry-run');
    assert.equal(refused.code, 0, refused.stderr);
    assert.match(refused.stderr, /note: a real run would stop here: target .* already has function library mylib with other code/);
    assert.equal(await target.client().dbsize(), 0);
  });
});
