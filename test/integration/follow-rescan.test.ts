import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { startLiveWriter, stopLiveWriters } from '../fixtures/live-writer.js';
import { runCli } from '../helpers/cli.js';
import { assertSameData } from '../helpers/compare-data.js';
import { startFollowRun, stopFollowRuns } from '../helpers/follow-run.js';
import { type FollowServers, reseedFollowSource, startFollowServers } from '../helpers/follow-servers.js';

/**
 * `--follow rescan`: no keyspace notifications (off, and CONFIG refused to the user the run connects
 * as, as on a managed service), so the run follows by reconcile passes and must still end identical.
 */
describe('migrate --follow rescan: following without keyspace notifications', () => {
  let servers: FollowServers;
  let n = 0;

  before(async () => {
    servers = await startFollowServers('ferry-rescan-', {
      aclUsers: [
        { name: 'managed', password: 'secret-pw', rules: '~* &* +@all -config' },
        { name: 'nopubsub', password: 'other-pw', rules: '~* resetchannels +@all' },
      ],
    });
  });
  after(() => servers?.stop());
  beforeEach(() => reseedFollowSource(servers, { keyspaceEvents: '', bulkKeys: 1000 }));
  afterEach(async () => {
    await stopLiveWriters();
    await stopFollowRuns();
  });
  const managedUrl = () => `redis://managed:secret-pw@${servers.source.address}`;

  it('without notifications and CONFIG refused, --follow fails in one line that points to --follow rescan', async () => {
    const result = await runCli(['migrate', '--source', managedUrl(), '--target', `redis://${servers.target.address}`, '--follow']);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('redis-ferry:'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /CONFIG GET notify-keyspace-events was refused .*--follow rescan/);
    assert.doesNotMatch(result.stderr, /secret-pw/);
    assert.equal(await servers.target.client().dbsize(), 0);
  });

  it('with notifications on but pub/sub refused by the ACL, --follow fails in one line that points to --follow rescan', async () => {
    await servers.source.client().config('SET', 'notify-keyspace-events', 'AE');
    const result = await runCli([
      'migrate',
      '--source',
      `redis://nopubsub:other-pw@${servers.source.address}`,
      '--target',
      `redis://${servers.target.address}`,
      '--follow',
    ]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('redis-ferry:'));
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /refused PSUBSCRIBE .*NOPERM.*--follow rescan/);
    assert.equal(await servers.target.client().dbsize(), 0);
  });

  const cases = [
    { name: 'the cutover command', extra: [] as string[], viaCommand: true },
    { name: '--cutover-when-idle', extra: ['--cutover-when-idle', '1s'], viaCommand: false },
  ];
  for (const { name, extra, viaCommand } of cases) {
    it(`a writer during the copy and the first passes; cut over by ${name}: identical, "safe to switch" only after a clean pass`, async () => {
      // Prepare: a writer changing, adding and deleting keys from before the copy starts.
      const src = servers.source.client();
      const writer = startLiveWriter(src, { seed: 20 + n });
      await writer.reached(200);
      const run = startFollowRun({
        source: managedUrl(),
        target: `redis://${servers.target.address}`,
        id: `rescan-${++n}`,
        stateDir: servers.work,
        mode: 'rescan',
        extra: ['--count', '50', ...extra],
      });

      // Act: the writer keeps going through the copy and two passes, then stops; then the cutover.
      await run.waitFor(/following the source's writes by repeated reconcile passes/, 'the copy to finish');
      await run.waitFor(/rescan .*; [2-9]\d* passes done/, 'two passes under the writer');
      const counts = await writer.stop();
      const result = viaCommand ? await run.cutover() : await run.done;

      // Assess: identical key by key, and the verdict came only after a clean pass started after the request.
      const out = run.output();
      assert.equal(result.code, 0, out);
      assert.ok(Object.keys(counts).length >= 10, `the writer ran every kind of change: ${JSON.stringify(counts)}`);
      assert.match(out, /compared, [1-9][\d,]* changed/, 'a pass under the writer found changes to carry');
      await assertSameData(src, servers.target.client());
      const verdict = out.search(/caught up as of .*: safe to switch \(every unit finished a full pass/);
      const clean = out.search(/pass \d+ \(started after the cutover request\) compared \d+ key\(s\) and found no difference/);
      const requested = out.search(/Cutover requested|cutting over \(--cutover-when-idle\)/);
      assert.ok(verdict > 0, out);
      assert.ok(clean > 0 && clean < verdict, `a clean final pass comes before the verdict:\n${out}`);
      assert.ok(requested > 0 && requested < clean, `the final pass follows the request:\n${out}`);
      assert.equal(out.match(/safe to switch/g)?.length, 1, out);
      assert.doesNotMatch(out, /secret-pw/);
      const [, flags] = (await src.config('GET', 'notify-keyspace-events')) as string[];
      assert.equal(flags, '', 'rescan never turns notifications on');
    });
  }
});
