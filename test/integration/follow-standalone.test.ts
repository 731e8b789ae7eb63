import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startLiveWriter, stopLiveWriters } from '../fixtures/live-writer.js';
import { seedMixedDataset, seedStrings } from '../fixtures/mixed-dataset.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { type FollowServers, startFollowServers } from '../helpers/follow-servers.js';
import { waitUntil } from '../helpers/index.js';

describe('migrate --follow: standalone → standalone under a concurrent writer', () => {
  let servers: FollowServers;

  before(async () => {
    servers = await startFollowServers('ferry-follow-', {
      aclUsers: [{ name: 'managed', password: 'secret-pw', rules: '~* &* +@all -config' }],
    });
  });
  after(() => servers?.stop());
  afterEach(() => stopLiveWriters());

  const follow = (sourceUrl: string, ...extra: string[]) =>
    runCli([
      'migrate',
      '--source',
      sourceUrl,
      '--target',
      `redis://${servers.target.address}`,
      '--follow',
      '--state-dir',
      servers.work,
      ...extra,
    ]);

  it('refuses in one line naming the missing flags when notifications are off, writing nothing', async () => {
    const [src, dst] = [servers.source.client(), servers.target.client()];
    await Promise.all([src.flushall(), dst.flushall()]);
    await src.config('SET', 'notify-keyspace-events', 'Kx');
    await src.set('a', '1');
    const result = await follow(`redis://${servers.source.address}`);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('redis-ferry:'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /notify-keyspace-events is "(Kx|xK)", lacking "Eg\$lshzet"/);
    assert.match(lines[0]!, /--follow-config-set/);
    assert.equal(await dst.dbsize(), 0);
    await src.config('SET', 'notify-keyspace-events', '');
  });

  it('names the parameter group when CONFIG is refused, as on a managed service', async () => {
    const [src, dst] = [servers.source.client(), servers.target.client()];
    await Promise.all([src.flushall(), dst.flushall()]);
    await src.set('a', '1');
    const result = await follow(`redis://managed:secret-pw@${servers.source.address}`, '--follow-config-set');
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /CONFIG GET notify-keyspace-events was refused .*parameter group/);
    assert.doesNotMatch(result.stderr, /secret-pw/);
    assert.equal(await dst.dbsize(), 0);
  });

  for (let rep = 1; rep <= 5; rep++) {
    it(`ends identical after cutover, no extra keys (repetition ${rep})`, async () => {
      // Prepare: a fresh pair, notifications off (the run turns them on and back off).
      const [src, dst] = [servers.source.client(), servers.target.client()];
      await Promise.all([src.flushall(), dst.flushall()]);
      await src.config('SET', 'notify-keyspace-events', '');
      await seedMixedDataset(src);
      await seedStrings(src, 1000, 'bulk:');
      await servers.source.client({ db: 1 }).set('db1-seed', 'x'); // db 1 is a unit too: the writer MOVEs keys there
      const writer = startLiveWriter(src, { seed: rep, moveToDb: 1 });
      await writer.reached(200);
      const id = `follow-${rep}`;

      // Act: copy while writing, keep following, stop writing, cut over from another command.
      const run = spawnCli([
        'migrate',
        '--source',
        `redis://${servers.source.address}`,
        '--target',
        `redis://${servers.target.address}`,
        '--follow',
        '--follow-config-set',
        '--quiet-period',
        '500ms',
        '--count',
        '50',
        '--id',
        id,
        '--state-dir',
        servers.work,
        '--progress',
        'plain',
      ]);
      let out = '';
      run.child.stdout!.on('data', (d) => (out += d));
      run.child.stderr!.on('data', (d) => (out += d));
      await waitUntil(async () => /following the source's writes/.test(out) || out.slice(-300), {
        timeoutMs: 120_000,
        description: 'the copy to finish',
      });
      await writer.reached(2500); // the writer keeps going past the copy
      const counts = await writer.stop();
      const cutover = await runCli(['cutover', id, '--state-dir', servers.work]);
      assert.equal(cutover.code, 0, cutover.stderr);
      const result = await run.done;

      // Assess
      assert.equal(result.code, 0, `exit ${result.code}\n${out}`);
      assert.match(out, /caught up as of .*: safe to switch/);
      assert.ok(Object.keys(counts).length >= 12, `the writer ran every kind of change: ${JSON.stringify(counts)}`);
      await assertSameData(src, dst);
      await assertSameData(servers.source.client({ db: 1 }), servers.target.client({ db: 1 }));
      const [, flags] = (await src.config('GET', 'notify-keyspace-events')) as string[];
      assert.equal(flags, '', 'notify-keyspace-events is put back as it was');
    });
  }
});
