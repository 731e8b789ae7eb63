import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TargetUnavailableError } from '../../src/core/errors.js';
import { isRefusal } from '../../src/redis/command-probe.js';
import { CONNECTION_CLOSED, isConnectionLoss, isTransientRefusal, redisFailure } from '../../src/redis/redis-errors.js';
import { ReplyError, RespPipe } from '../../src/redis/resp-pipe.js';
import { freePort, makeTlsMaterial, type RedisServer, startRedis, type TlsMaterial } from '../helpers/index.js';

describe('Class: RespPipe', () => {
  let server: RedisServer;
  let tlsServer: RedisServer;
  let tls: TlsMaterial;

  before(async () => {
    tls = await makeTlsMaterial();
    [server, tlsServer] = await Promise.all([startRedis({ password: 'pw' }), startRedis({ tls })]);
  });
  after(async () => {
    await Promise.all([server?.stop(), tlsServer?.stop()]);
    await tls?.cleanup();
  });

  it('round-trips binary keys and values and returns error replies in place', async () => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port, password: 'pw', db: 2 });
    const key = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
    const replies = await pipe.send([
      ['SET', key, Buffer.from([0xde, 0xad])],
      ['GET', key],
      ['INCR', key],
      ['EXISTS', 'missing'],
      ['GET', 'missing'],
    ]);
    assert.deepEqual(replies[1], Buffer.from([0xde, 0xad]));
    assert.ok(replies[2] instanceof ReplyError, 'INCR on a non-number is an error reply, not a throw');
    assert.equal(replies[3], 0);
    assert.equal(replies[4], null);
    assert.deepEqual(await server.client({ db: 2 }).getBuffer(key), Buffer.from([0xde, 0xad]), 'SELECT 2 was applied');
    pipe.close();
  });

  it('keeps replies in order across many batches in flight', async () => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port, password: 'pw' });
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, b) => pipe.send(Array.from({ length: 500 }, (_, i) => ['ECHO', `${b}:${i}`]))),
    );
    batches.forEach((replies, b) => {
      replies.forEach((r, i) => {
        assert.equal((r as Buffer).toString(), `${b}:${i}`);
      });
    });
    pipe.close();
  });

  it('rejects a wrong password and pending commands when the connection drops', async () => {
    await assert.rejects(RespPipe.open({ host: server.host, port: server.port, password: 'wrong' }), /WRONGPASS/);
    const pipe = await RespPipe.open({ host: server.host, port: server.port, password: 'pw' });
    const [id] = await pipe.send([['CLIENT', 'ID']]);
    // BLPOP holds the reply open until the server kills the connection under it (this one only:
    // killing every normal client would also drop the harness's own admin connections).
    // The rejection is awaited from the start: it may land before the KILL's own reply.
    const pending = assert.rejects(pipe.send([['BLPOP', 'never-pushed', 0]]), /Connection is closed|ECONNRESET/);
    await new Promise((r) => setTimeout(r, 50));
    await server.client().call('CLIENT', ['KILL', 'ID', String(id)]);
    await pending;
    await assert.rejects(pipe.send([['PING']]), /Connection is closed|ECONNRESET/, 'a dead pipe fails fast');
  });

  it("parses the server's error replies into their codes, and a closed or refused connection into a socket code", async () => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port, password: 'pw', db: 3 });
    const [, dump] = await pipe.send([
      ['SET', 's', 'v'],
      ['DUMP', 's'],
    ]);
    const replies = await pipe.send([['RESTORE', 's', 0, dump as Buffer], ['LPUSH', 's', 'x'], ['NO-SUCH-COMMAND'], ['CLUSTER', 'SLOTS']]);
    const failures = replies.map(redisFailure);
    assert.deepEqual(
      failures.map((f) => f.replyCode),
      ['BUSYKEY', 'WRONGTYPE', 'ERR', 'ERR'],
    );
    assert.match(failures[0]!.text, /^BUSYKEY /);
    assert.deepEqual(
      failures.map((f) => [isTransientRefusal(f), isConnectionLoss(f), isRefusal(f)]),
      [
        [false, false, false],
        [false, false, false],
        [false, false, true],
        [false, false, true],
      ],
    );
    const wrapped = new TargetUnavailableError('target: RESTORE failed', { cause: replies[0] });
    assert.equal(redisFailure(wrapped).replyCode, 'BUSYKEY', 'a wrapper is classified by the reply it wraps');
    assert.equal(redisFailure(wrapped).text, 'target: RESTORE failed');

    pipe.close();
    const closed = redisFailure(await pipe.send([['PING']]).catch((error: unknown) => error));
    assert.equal(closed.socketCode, CONNECTION_CLOSED);
    assert.ok(isConnectionLoss(closed));
    const refused = redisFailure(await RespPipe.open({ host: '127.0.0.1', port: await freePort() }).catch((error: unknown) => error));
    assert.equal(refused.socketCode, 'ECONNREFUSED');
    assert.ok(isConnectionLoss(refused));
  });

  it('speaks TLS with certificate verification', async () => {
    const ca = await import('node:fs').then((fs) => fs.readFileSync(tls.caFile));
    const pipe = await RespPipe.open({ host: tlsServer.host, port: tlsServer.port, tls: { ca } });
    assert.deepEqual(await pipe.send([['PING']]), [Buffer.from('PONG')]);
    pipe.close();
    const wrong = await import('node:fs').then((fs) => fs.readFileSync(tls.wrongCaFile));
    await assert.rejects(
      RespPipe.open({ host: tlsServer.host, port: tlsServer.port, tls: { ca: wrong } }),
      /self-signed|unable to verify|certificate/i,
    );
  });
});
