import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readConfigFile } from '../../src/config/read-config-file.js';
import { readRestoreConfigFile } from '../../src/config/read-restore-config.js';
import { configProblems, SCENARIOS_DIR, tempConfigDir } from '../helpers/config-files.js';

const configs = tempConfigDir('ferry-restore-config-');

describe('Function: readRestoreConfigFile', () => {
  after(() => configs.remove());

  it("reads redis-shake v4's [rdb_reader] file unchanged", () => {
    const { config, dialect } = readRestoreConfigFile(join(SCENARIOS_DIR, 'redis-shake-v4/rdb.toml'));
    assert.equal(dialect, 'v4');
    assert.equal(config.rdb.uri, '/backups/dump.rdb');
    assert.deepEqual(config.target.addresses, ['127.0.0.1:6380']);
    assert.equal(config.onExistingKey, 'replace');
    assert.deepEqual(config.filter.allowKeyPrefix, ['user:']);
    assert.deepEqual(config.filter.blockDb, [3]);
    assert.equal(config.parallel, 0, 'ranges chosen from the file size');
  });

  it('reads redis-shake v3\'s type = "restore" file', () => {
    const { config, dialect } = readRestoreConfigFile(join(SCENARIOS_DIR, 'redis-shake-v3/restore.toml'));
    assert.equal(dialect, 'v3');
    assert.equal(config.rdb.uri, '/backups/dump.rdb');
    assert.equal(config.target.topology, 'cluster');
    assert.equal(config.target.password, 'secret');
  });

  it('takes an s3:// URI and a parallel setting, and names the line of a typo', () => {
    const s3 = configs.write(
      's3.toml',
      '[rdb_reader]\nfilepath = "s3://bucket/backups/dump.rdb"\nparallel = 8\n[redis_writer]\naddress = "127.0.0.1:6380"\n',
    );
    const { config } = readRestoreConfigFile(s3);
    assert.equal(config.rdb.uri, 's3://bucket/backups/dump.rdb');
    assert.equal(config.parallel, 8);
    const typo = configs.write('typo.toml', '[rdb_reader]\nfile_path = "/x.rdb"\n[redis_writer]\naddress = "127.0.0.1:6380"\n');
    assert.deepEqual(
      configProblems(() => readRestoreConfigFile(typo)),
      [`${typo}:2: unknown option [rdb_reader] file_path; did you mean filepath?`],
    );
  });

  it('sends each kind of config to its command', () => {
    const env = { SHAKE_SRC_ADDRESS: '127.0.0.1:6379', SHAKE_SRC_PASSWORD: '', SHAKE_DST_ADDRESS: '127.0.0.1:6380' };
    const [scan] = configProblems(() => readRestoreConfigFile(join(SCENARIOS_DIR, 'redis-shake-v4/scan.toml'), env));
    assert.match(scan!, /this is a scan config .*: run it with redis-ferry migrate/);
    const [rdb] = configProblems(() => readConfigFile(join(SCENARIOS_DIR, 'redis-shake-v4/rdb.toml')));
    assert.match(rdb!, /rdb\.toml:1: this is a redis-shake restore config .*: run it with redis-ferry restore/);
  });

  it('refuses options that need a live source', () => {
    const follow = configs.write(
      'follow.toml',
      '[rdb_reader]\nfilepath = "/x.rdb"\n[redis_writer]\naddress = "127.0.0.1:6380"\n[advanced]\nfollow = true\n',
    );
    assert.deepEqual(
      configProblems(() => readRestoreConfigFile(follow)),
      [`${follow}:6: [advanced] follow: needs a live source; a restore reads a file: remove it`],
    );
  });
});
