import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { verifyCommandFor } from '../../src/cli/migrate-command.js';
import { buildProgram, placeFollowMode } from '../../src/cli/program.js';

describe('verifyCommandFor (the verify command a migrate or reconcile run suggests)', () => {
  it('keeps the source, target and selection, and drops the options verify does not take, with their values', () => {
    const argv = [
      'reconcile',
      '--source',
      'redis://:secret@10.0.0.5:6379',
      '--target',
      'redis://10.0.0.6:6380',
      '--on-too-big',
      'skip',
      '--rate-limit=500',
      '--no-functions',
      '--no-delete',
      '--match',
      'user:*',
      '--fresh',
    ];
    const hint = verifyCommandFor(argv);
    assert.doesNotMatch(hint, /secret/);
    assert.equal(hint, "redis-ferry verify --source 'redis://:***@10.0.0.5:6379' --target redis://10.0.0.6:6380 --match 'user:*'");
  });

  it('passes on exactly the options of migrate and reconcile that verify declares', () => {
    const program = buildProgram();
    const command = (name: string) => program.commands.find((c) => c.name() === name)!;
    const verifyTakes = new Set(command('verify').options.map((o) => o.long));
    for (const name of ['migrate', 'reconcile']) {
      for (const option of command(name).options) {
        const argv = [name, option.long!, ...(option.required || option.optional ? ['1'] : [])];
        const passed = verifyCommandFor(argv).split(' ').includes(option.long!);
        assert.equal(passed, verifyTakes.has(option.long), `${name} ${option.long}`);
      }
    }
  });

  it('drops --follow with its optional mode, and keeps a positional argument after a bare --follow', () => {
    assert.equal(
      verifyCommandFor(['migrate', '--follow', 'rescan', '--source', 'redis://a:1', '--target', 'redis://b:2']),
      'redis-ferry verify --source redis://a:1 --target redis://b:2',
    );
    assert.equal(verifyCommandFor(['migrate', '--follow', 'shake.toml']), 'redis-ferry verify shake.toml');
  });

  it('reads `--follow shake.toml` as before the mode existed: the word after a bare --follow that is not a mode is the config', () => {
    const parsed = (argv: string[]) => {
      const migrate = buildProgram().commands.find((c) => c.name() === 'migrate')!;
      migrate.action(() => {});
      migrate.parse(placeFollowMode(argv), { from: 'user' });
      return { follow: migrate.opts().follow, config: migrate.args[0] };
    };
    assert.deepEqual(parsed(['--follow', 'shake.toml']), { follow: true, config: 'shake.toml' });
    assert.deepEqual(parsed(['--follow', 'rescan', 'shake.toml']), { follow: 'rescan', config: 'shake.toml' });
    assert.deepEqual(parsed(['shake.toml', '--follow']), { follow: true, config: 'shake.toml' });
  });
});
