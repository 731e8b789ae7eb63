import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readConfigFile } from '../../src/config/read-config-file.js';
import { configProblems, SCENARIOS_DIR, tempConfigDir } from '../helpers/config-files.js';

const configs = tempConfigDir('ferry-config-');

describe('Function: readConfigFile', () => {
  after(() => configs.remove());

  it('reads the v3 scenario files unchanged', () => {
    const { config, dialect } = readConfigFile(join(SCENARIOS_DIR, 'redis-shake-v3/cluster-to-cluster.toml'));
    assert.equal(dialect, 'v3');
    assert.deepEqual(config.source.addresses, ['192.168.0.1:6379']);
    assert.equal(config.source.topology, 'auto', 'the source kind is discovered');
    assert.equal(config.target.topology, 'cluster');
    assert.equal(config.target.password, 'r-ddddd:xxxxx');
    assert.equal(config.onExistingKey, 'fail', 'redis-shake\'s default "panic"');
  });

  it('reads the v4 scenario with ${ENV} substitution', () => {
    const { config, dialect, warnings } = readConfigFile(join(SCENARIOS_DIR, 'redis-shake-v4/scan.toml'), {
      SHAKE_SRC_ADDRESS: '10.1.1.1:6379',
      SHAKE_SRC_PASSWORD: 'p"w\\',
      SHAKE_DST_ADDRESS: '10.2.2.2:6379',
    });
    assert.equal(dialect, 'v4');
    assert.equal(config.source.password, 'p"w\\', 'secrets with quotes survive');
    assert.equal(config.scan.count, 1000);
    assert.equal(config.onExistingKey, 'fail');
    assert.deepEqual(warnings, []);
  });

  it('maps rdb_restore_command_behavior onto the conflict policy', () => {
    for (const [value, policy] of [
      ['rewrite', 'replace'],
      ['skip', 'skip'],
      ['panic', 'fail'],
    ]) {
      const path = configs.write(
        `b-${value}.toml`,
        `[scan_reader]\naddress = "a:1"\n[redis_writer]\naddress = "b:2"\n[advanced]\nrdb_restore_command_behavior = "${value}"\n`,
      );
      assert.equal(readConfigFile(path).config.onExistingKey, policy);
    }
  });

  it("the v3 guide's `password =` says which line and how to write no password", () => {
    const [problem] = configProblems(() => readConfigFile(join(SCENARIOS_DIR, 'redis-shake-v3/standalone-to-standalone.toml')));
    assert.match(problem!, /standalone-to-standalone\.toml:9: `password =` has no value; .*write password = ""/);
  });

  it('names unknown keys and sections with a suggestion', () => {
    const path = configs.write('typo.toml', '[scan_reader]\naddress = "a:1"\nprefer_replcia = true\n[redis_writter]\naddress = "b:2"\n');
    const list = configProblems(() => readConfigFile(path));
    assert.ok(
      list.some((p) => /typo\.toml:3: unknown option \[scan_reader\] prefer_replcia; did you mean prefer_replica\?/.test(p)),
      list.join('\n'),
    );
    assert.ok(
      list.some((p) => /typo\.toml:4: unknown option \[redis_writter\]; did you mean redis_writer\?/.test(p)),
      list.join('\n'),
    );
  });

  it('refuses options that a scan copy cannot honour instead of ignoring them', () => {
    const path = configs.write(
      'unsupported.toml',
      '[scan_reader]\naddress = "a:1"\n[redis_writer]\naddress = "b:2"\n[filter]\nblock_command = ["DEL"]\n',
    );
    assert.match(
      configProblems(() => readConfigFile(path))[0]!,
      /unsupported\.toml:6: \[filter\] block_command: command filters do not apply/,
    );
  });

  it("warns when count is tiny, as in redis-shake's sample", () => {
    const path = configs.write('count1.toml', '[scan_reader]\naddress = "a:1"\ncount = 1\n[redis_writer]\naddress = "b:2"\n');
    assert.match(readConfigFile(path).warnings[0]!, /count = 1/);
  });

  it('reads the redis-ferry extensions: TLS CA, db map, rate limit', () => {
    const path = configs.write(
      'ext.toml',
      '[scan_reader]\naddress = "a:1"\ntls = true\ntls_ca_file = "/ca.pem"\n[redis_writer]\naddress = "b:2"\ncluster = true\ndb_map = { "1" = 0 }\n[advanced]\nrate_limit = 5000\n',
    );
    const { config } = readConfigFile(path);
    assert.deepEqual(config.source.tls, { enabled: true, caFile: '/ca.pem', verify: true });
    assert.deepEqual(config.dbMap, { '1': 0 });
    assert.equal(config.rateLimit, 5000);
    assert.equal(config.target.topology, 'cluster');
  });

  it('copies Redis 7 functions unless [advanced] functions = false (a redis-ferry extension)', () => {
    const base = '[scan_reader]\naddress = "a:1"\n[redis_writer]\naddress = "b:2"\n';
    assert.equal(readConfigFile(configs.write('fn-default.toml', base)).config.functions, true);
    assert.equal(readConfigFile(configs.write('fn-off.toml', `${base}[advanced]\nfunctions = false\n`)).config.functions, false);
    const [problem] = configProblems(() => readConfigFile(configs.write('fn-bad.toml', `${base}[advanced]\nfunctions = "no"\n`)));
    assert.match(problem!, /fn-bad\.toml:\d+: .*functions/);
  });

  it('follows by notifications with follow = true or ksn = true, by rescan passes with follow = "rescan"', () => {
    const base = '[scan_reader]\naddress = "a:1"\n[redis_writer]\naddress = "b:2"\n';
    const on = readConfigFile(configs.write('follow-on.toml', `${base}[advanced]\nfollow = true\n`)).config.follow;
    assert.deepEqual([on.enabled, on.mode], [true, 'events']);
    const rescan = readConfigFile(configs.write('follow-rescan.toml', `${base}[advanced]\nfollow = "rescan"\n`)).config.follow;
    assert.deepEqual([rescan.enabled, rescan.mode], [true, 'rescan']);
    const [problem] = configProblems(() =>
      readConfigFile(configs.write('follow-rescan-struct.toml', `${base}[advanced]\nfollow = "rescan"\nmode = "struct"\n`)),
    );
    assert.match(problem!, /rescan compares DUMP payloads/);
    const [bad] = configProblems(() => readConfigFile(configs.write('follow-bad.toml', `${base}[advanced]\nfollow = "poll"\n`)));
    assert.match(bad!, /follow-bad\.toml:\d+: .*follow/);
  });
});
