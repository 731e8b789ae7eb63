import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfigFile } from '../../src/config/read-config-file.js';
import { readRestoreConfigFile } from '../../src/config/read-restore-config.js';
import { ConfigError } from '../../src/core/errors.js';

const scenarios = fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ferry-restore-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  assert.fail('expected a ConfigError');
};

describe('Function: readRestoreConfigFile', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads redis-shake v4's [rdb_reader] file unchanged", () => {
    const { config, dialect } = readRestoreConfigFile(join(scenarios, 'redis-shake-v4/rdb.toml'));
    assert.equal(dialect, 'v4');
    assert.equal(config.rdb.uri, '/backups/dump.rdb');
    assert.deepEqual(config.target.addresses, ['127.0.0.1:6380']);
    assert.equal(config.onExistingKey, 'replace');
    assert.deepEqual(config.filter.allowKeyPrefix, ['user:']);
    assert.deepEqual(config.filter.blockDb, [3]);
    assert.equal(config.parallel, 0, 'ranges chosen from the file size');
  });

  it('reads redis-shake v3\'s type = "restore" file', () => {
    const { config, dialect } = readRestoreConfigFile(join(scenarios, 'redis-shake-v3/restore.toml'));
    assert.equal(dialect, 'v3');
    assert.equal(config.rdb.uri, '/backups/dump.rdb');
    assert.equal(config.target.topology, 'cluster');
    assert.equal(config.target.password, 'secret');
  });

  it('takes an s3:// URI and a parallel setting, and names the line of a typo', () => {
    const s3 = file(
      's3.toml',
      '[rdb_reader]\nfilepath = "s3://bucket/backups/dump.rdb"\nparallel = 8\n[redis_writer]\naddress = "127.0.0.1:6380"\n',
    );
    const { config } = readRestoreConfigFile(s3);
    assert.equal(config.rdb.uri, 's3://bucket/backups/dump.rdb');
    assert.equal(config.parallel, 8);
    const typo = file('typo.toml', '[rdb_reader]\nfile_path = "/x.rdb"\n[redis_writer]\naddress = "127.0.0.1:6380"\n');
    assert.deepEqual(
      problems(() => readRestoreConfigFile(typo)),
      [`${typo}:2: unknown option [rdb_reader] file_path; did you mean filepath?`],
    );
  });

  it('sends each kind of config to its command', () => {
    const env = { SHAKE_SRC_ADDRESS: '127.0.0.1:6379', SHAKE_SRC_PASSWORD: '', SHAKE_DST_ADDRESS: '127.0.0.1:6380' };
    const [scan] = problems(() => readRestoreConfigFile(join(scenarios, 'redis-shake-v4/scan.toml'), env));
    assert.match(scan!, /this is a scan config .*: run it with redis-ferry migrate/);
    const [rdb] = problems(() => readConfigFile(join(scenarios, 'redis-shake-v4/rdb.toml')));
    assert.match(rdb!, /rdb\.toml:1: this is a redis-shake restore config .*: run it with redis-ferry restore/);
  });

  it('refuses options that need a live source', () => {
    const follow = file(
      'follow.toml',
      '[rdb_reader]\nfilepath = "/x.rdb"\n[redis_writer]\naddress = "127.0.0.1:6380"\n[advanced]\nfollow = true\n',
    );
    assert.deepEqual(
      problems(() => readRestoreConfigFile(follow)),
      [`${follow}:6: [advanced] follow: needs a live source; a restore reads a file: remove it`],
    );
  });
});
