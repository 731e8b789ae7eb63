import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryCheckpointStore } from '../../src/checkpoint/memory-store.js';
import { parseConfig } from '../../src/core/config.js';
import { type RunEvent, runMigration } from '../../src/runner/run-migration.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { type CliResult, oneErrorLine, runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { makeTlsMaterial, type RedisCluster, type RedisServer, startCluster, startRedis, type TlsMaterial } from '../helpers/index.js';
import { comparingView, flushCluster } from './topology-support.js';

const SOURCE_RULES = '-@all +scan +dump +pttl +info +ping +select';
const TARGET_RULES = '-@all +restore +dbsize +info +ping +select';
const MANAGED_BLOCKS = [
  '--rename-command',
  'CONFIG',
  '',
  '--rename-command',
  'CLIENT',
  '',
  '--rename-command',
  'OBJECT',
  '',
  '--rename-command',
  'CLUSTER',
  '',
  '--rename-command',
  'MIGRATE',
  '',
];

/** One `redis-ferry:` line on stderr, matching `pattern`, no stack trace, no secret. */
function assertOneLine(result: CliResult, pattern: RegExp): void {
  assert.match(oneErrorLine(result, { secrets: ['s3cret'] }), pattern);
}

describe('topology: ACL users, TLS with a test CA, and managed-service restrictions', () => {
  let tls: TlsMaterial;
  let tlsSource: RedisServer;
  let aclTarget: RedisServer;
  let managedSource: RedisServer;
  let managedTarget: RedisServer;
  let serverless: RedisCluster;
  let work: string;

  before(async () => {
    tls = await makeTlsMaterial();
    [tlsSource, aclTarget, managedSource, managedTarget, serverless] = await Promise.all([
      startRedis({
        tls,
        aclUsers: [
          { name: 'reader', password: 's3cret', rules: `~* ${SOURCE_RULES}` },
          { name: 'nodump', password: 's3cret', rules: '~* +@all -dump' },
        ],
      }),
      startRedis({
        aclUsers: [
          { name: 'writer', password: 's3cret', rules: `~* ${TARGET_RULES}` },
          { name: 'norestore', password: 's3cret', rules: '~* +@all -restore' },
        ],
        extraArgs: ['--databases', '24'],
      }),
      startRedis({ password: 's3cret', extraArgs: [...MANAGED_BLOCKS, '--databases', '24'] }),
      startRedis({ password: 's3cret', extraArgs: MANAGED_BLOCKS }),
      // ElastiCache Serverless-like: one TLS endpoint in cluster mode (every slot on one node).
      startCluster({ masters: 1, replicasPerMaster: 0, tls }),
    ]);
    work = await mkdtemp(join(tmpdir(), 'ferry-auth-tls-'));
    await Promise.all([seedMixedDataset(tlsSource.client()), seedMixedDataset(managedSource.client())]);
    await serverless.masters[0]!.client().call(
      'ACL',
      'SETUSER',
      'app',
      'on',
      '>s3cret',
      '~*',
      '+@all',
      '-select',
      '-config',
      '-migrate',
      '-cluster|shards',
      '-cluster|nodes',
    );
  });
  after(async () => {
    await Promise.all([tlsSource?.stop(), aclTarget?.stop(), managedSource?.stop(), managedTarget?.stop(), serverless?.stop()]);
    await tls?.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  let runs = 0;
  /** A fresh state dir per run: the same endpoints would otherwise resume (or skip) a finished migration. */
  const state = () => ['--state-dir', join(work, `state-${++runs}`), '--progress', 'none'];
  const tlsUrl = (query: string, user = 'reader') => `rediss://${user}@${tlsSource.address}${query}`;
  const aclTargetUrl = (user = 'writer') => `redis://${user}@${aclTarget.address}`;
  const secrets = { REDIS_FERRY_SOURCE_PASSWORD: 's3cret', REDIS_FERRY_TARGET_PASSWORD: 's3cret' };

  it('TLS with the right CA and ACL users with only the needed commands, on both sides: every key identical', async () => {
    await aclTarget.client().flushall();
    const result = await runCli(['migrate', '--source', tlsUrl(`?ca=${tls.caFile}`), '--target', aclTargetUrl(), ...state()], secrets);
    assert.equal(result.code, 0, result.stderr);
    const keys = await assertSameData(tlsSource.client(), aclTarget.client());
    assert.ok(keys > 500);
  });

  it('TLS with the wrong CA fails with one clear certificate error', async () => {
    const result = await runCli(['migrate', '--source', tlsUrl(`?ca=${tls.wrongCaFile}`), '--target', aclTargetUrl(), ...state()], secrets);
    assertOneLine(
      result,
      /TLS certificate of source 127\.0\.0\.1:\d+ could not be verified \([A-Z_]+\): set tls_ca_file .* tls_verify = false skips the check for self-signed test setups/,
    );
  });

  it('a server name the certificate does not cover fails; the one it covers (SNI) works', async () => {
    await aclTarget.client().flushall();
    const wrong = await runCli(
      ['migrate', '--source', tlsUrl(`?ca=${tls.caFile}&servername=db.example.com`), '--target', aclTargetUrl(), ...state()],
      secrets,
    );
    assertOneLine(wrong, /TLS certificate of source .* \(ERR_TLS_CERT_ALTNAME_INVALID\)/);
    const right = await runCli(
      ['migrate', '--source', tlsUrl(`?ca=${tls.caFile}&servername=localhost`), '--target', aclTargetUrl(), ...state()],
      secrets,
    );
    assert.equal(right.code, 0, right.stderr);
  });

  it('redis-shake tls = true verifies the certificate; tls_verify = false is the explicit opt-out for self-signed setups', async () => {
    await aclTarget.client().flushall();
    const file = (extra: string) =>
      `[scan_reader]\naddress = "${tlsSource.address}"\nusername = "reader"\npassword = "s3cret"\ntls = true\n${extra}\n[redis_writer]\naddress = "${aclTarget.address}"\nusername = "writer"\npassword = "s3cret"\n`;
    await writeFile(join(work, 'verify.toml'), file(''));
    assertOneLine(
      await runCli(['migrate', join(work, 'verify.toml'), ...state()]),
      /TLS certificate of source 127\.0\.0\.1:\d+ could not be verified/,
    );
    await writeFile(join(work, 'no-verify.toml'), file('tls_verify = false\n'));
    const result = await runCli(['migrate', join(work, 'no-verify.toml'), ...state()]);
    assert.equal(result.code, 0, result.stderr);
    await assertSameData(tlsSource.client(), aclTarget.client());
  });

  it('an ACL user without DUMP fails in one line naming the missing permission; so does a target user without RESTORE', async () => {
    const source = await runCli(
      ['migrate', '--source', tlsUrl(`?ca=${tls.caFile}`, 'nodump'), '--target', aclTargetUrl(), ...state()],
      secrets,
    );
    assertOneLine(
      source,
      /source 127\.0\.0\.1:\d+: ACL user "nodump" lacks the DUMP permission \(NOPERM [^)]*'dump'[^)]*\); grant it with ACL SETUSER nodump \+dump/,
    );
    const target = await runCli(
      ['migrate', '--source', tlsUrl(`?ca=${tls.caFile}`), '--target', aclTargetUrl('norestore'), ...state()],
      secrets,
    );
    assertOneLine(target, /target 127\.0\.0\.1:\d+: ACL user "norestore" lacks the RESTORE permission .*ACL SETUSER norestore \+restore/);
  });

  it('a Memorystore/ElastiCache-like server (CONFIG, CLIENT, OBJECT, CLUSTER, MIGRATE disabled) on both sides: works, and the notes say what was assumed', async () => {
    const events: RunEvent[] = [];
    const summary = await runMigration({
      config: parseConfig({
        source: { addresses: [managedSource.address], password: 's3cret' },
        target: { addresses: [managedTarget.address], password: 's3cret' },
      }),
      migrationId: 'managed',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => events.push(e),
    });
    assert.equal(summary.status, 'completed', summary.error?.message);
    const notes = events.flatMap((e) => (e.type === 'note' ? [e.message] : []));
    assert.ok(
      notes.some((n) =>
        /target 127\.0\.0\.1:\d+: CONFIG GET databases refused \(ERR unknown command 'CONFIG'.*\); found 16 dbs by SELECT instead/.test(n),
      ),
      notes.join('\n'),
    );
    await assertSameData(managedSource.client(), managedTarget.client());
  });

  it('an ElastiCache Serverless-like endpoint (TLS, cluster mode, no SELECT, CLUSTER SHARDS/NODES denied) as target and as source', async () => {
    await flushCluster(serverless);
    const endpoint = {
      addresses: [serverless.seed.address],
      username: 'app',
      password: 's3cret',
      tls: { enabled: true, caFile: tls.caFile },
    };
    const events: RunEvent[] = [];
    const into = await runMigration({
      config: parseConfig({ source: { addresses: [managedSource.address], password: 's3cret' }, target: endpoint }),
      migrationId: 'into-serverless',
      store: new MemoryCheckpointStore(),
      onEvent: (e) => events.push(e),
    });
    assert.equal(into.status, 'completed', into.error?.message);
    const notes = events.flatMap((e) => (e.type === 'note' ? [e.message] : []));
    assert.ok(
      notes.some((n) => /CLUSTER SHARDS \(NOPERM.*\) refused; read the cluster layout with CLUSTER SLOTS/.test(n)),
      notes.join('\n'),
    );
    await assertSameData(managedSource.client(), comparingView(serverless));

    await managedTarget.client().flushall();
    const out = await runMigration({
      config: parseConfig({ source: endpoint, target: { addresses: [managedTarget.address], password: 's3cret' } }),
      migrationId: 'out-of-serverless',
      store: new MemoryCheckpointStore(),
    });
    assert.equal(out.status, 'completed', out.error?.message);
    assert.deepEqual(
      out.units.map((u) => u.unit.id),
      ['slots-0-16383/db0'],
    );
    await assertSameData(comparingView(serverless), managedTarget.client());
  });

  it('many units at once: 20 dbs copy concurrently, each with its own checkpoint (the target db count found by SELECT, CONFIG being denied)', async () => {
    await aclTarget.client().flushall();
    const client = (db: number) => managedSource.client({ db });
    for (let db = 1; db <= 19; db++) await seedStrings(client(db), 50, `db${db}:`);
    try {
      const result = await runCli(
        [
          'migrate',
          '--source',
          `redis://${managedSource.address}`,
          '--target',
          `redis://writer@${aclTarget.address}`,
          ...state(),
          '--json',
        ],
        secrets,
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /CONFIG GET databases refused \(NOPERM[^)]*\); found 24 dbs by SELECT instead/);
      const summary = JSON.parse(result.stdout);
      assert.equal(summary.units.length, 20);
      assert.ok(summary.units.every((u: { checkpoint: { status: string } }) => u.checkpoint.status === 'done'));
      for (const db of [0, 7, 19]) await assertSameData(client(db), aclTarget.client({ db }));
    } finally {
      for (let db = 1; db <= 19; db++) await client(db).flushdb();
    }
  });
});
