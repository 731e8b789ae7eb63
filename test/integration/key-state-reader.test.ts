import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RespPipe } from '../../src/redis/resp-pipe.js';
import { clientReader, pipeReader } from '../../src/verify/key-state-reader.js';
import { type RedisServer, startRedis } from '../helpers/index.js';

/** The verifier's two ways of reading a side must agree, and a refused command must say what to grant. */
describe('Function: pipeReader / clientReader', () => {
  let server: RedisServer;
  const pipes: RespPipe[] = [];
  const keys = ['s', 'h', 'l', 'gone', 'bin\x00\xff'].map((k) => Buffer.from(k, 'latin1'));

  before(async () => {
    server = await startRedis();
    const client = server.client();
    await client.set(keys[0]!, 'value', 'PX', 3_600_000);
    await client.hset(keys[1]!, 'f', 'v');
    await client.rpush(keys[2]!, 'a', 'b');
    await client.set(keys[4]!, Buffer.from([0, 1, 2, 255]));
    await client.call('ACL', 'SETUSER', 'nodump', 'on', '>secret-pw', '~*', '+@all', '-dump');
    await client.call('ACL', 'SETUSER', 'nomemory', 'on', '>secret-pw', '~*', '+@all', '-memory');
  });
  after(async () => {
    for (const pipe of pipes) pipe.close();
    await server?.stop();
  });
  const open = async (options: { username?: string; password?: string } = {}) => {
    const pipe = await RespPipe.open({ host: server.host, port: server.port, ...options });
    pipes.push(pipe);
    return pipe;
  };

  it('reads the same types, TTLs and DUMP payloads as one ioredis command per key', async () => {
    const viaPipe = pipeReader(await open(), 'source', server.address);
    const viaClient = clientReader(server.client());
    const [pipeStates, clientStates] = await Promise.all([viaPipe.typesAndTtls(keys), viaClient.typesAndTtls(keys)]);
    assert.deepEqual(
      pipeStates.map(([type]) => type),
      ['string', 'hash', 'list', 'none', 'string'],
    );
    assert.equal(pipeStates[3]![1], -2, 'a missing key has PTTL -2');
    assert.ok(pipeStates[0]![1] > 3_500_000, 'the TTL is read');
    assert.deepEqual(
      pipeStates.map(([type, ttl]) => [type, ttl === -1 ? -1 : ttl > 0 ? 'some' : ttl]),
      clientStates.map(([type, ttl]) => [type, ttl === -1 ? -1 : ttl > 0 ? 'some' : ttl]),
    );
    const [pipeDumps, clientDumps] = await Promise.all([viaPipe.dumps(keys), viaClient.dumps(keys)]);
    assert.equal(pipeDumps[3], null, 'a missing key dumps as null');
    assert.deepEqual(pipeDumps, clientDumps);
  });

  it('reads MEMORY USAGE per key, and answers undefined (estimate instead) where MEMORY is refused', async () => {
    const sizes = await pipeReader(await open(), 'source', server.address).sizes!(keys);
    assert.equal(sizes![3], null, 'a missing key has no size');
    assert.ok(
      sizes!.every((n, i) => i === 3 || (typeof n === 'number' && n > 0)),
      `sizes ${sizes}`,
    );
    const refusing = pipeReader(await open({ username: 'nomemory', password: 'secret-pw' }), 'source', server.address);
    assert.equal(await refusing.sizes!(keys), undefined);
    assert.equal(await refusing.sizes!(keys), undefined, 'the refusal is remembered');
  });

  it('names the refused command, the key and what verify needs', async () => {
    const reader = pipeReader(await open({ username: 'nodump', password: 'secret-pw' }), 'target', server.address);
    await assert.rejects(reader.dumps(keys.slice(0, 2)), (error: Error) => {
      assert.equal(error.name, 'TargetUnavailableError');
      assert.match(error.message, /^target .* refused DUMP for key "s" \(NOPERM.*\); verify needs TYPE, PTTL and DUMP on both sides$/);
      assert.doesNotMatch(error.message, /secret-pw/);
      return true;
    });
  });
});
