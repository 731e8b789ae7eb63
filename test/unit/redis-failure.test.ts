import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import redisErrors from 'redis-errors';
import { SourceUnavailableError } from '../../src/core/errors.js';
import {
  CONNECTION_CLOSED,
  isConnectionLoss,
  isRetryableRefusal,
  isTransientRefusal,
  parseRedirect,
  redisFailure,
} from '../../src/redis/redis-errors.js';

// The class redis-parser and ioredis build error replies with; the texts are the servers' own.
const { ReplyError } = redisErrors;
const reply = (text: string) => new ReplyError(text);

describe('Function: redisFailure', () => {
  it('takes the first word of a reply as its code, and parses redirects from it', () => {
    const moved = redisFailure(reply('MOVED 3999 127.0.0.1:6381'));
    assert.equal(moved.replyCode, 'MOVED');
    assert.deepEqual(parseRedirect(moved), { kind: 'MOVED', slot: 3999, address: '127.0.0.1:6381' });
    assert.deepEqual(parseRedirect(redisFailure(reply('ASK 12 :7002'))), { kind: 'ASK', slot: 12, address: ':7002' });
    assert.equal(parseRedirect(redisFailure(reply('ERR MOVED 3999 somewhere'))), undefined, 'only the code says MOVED');
  });

  it('tells a transient refusal by its exact code: BUSY is one, BUSYKEY is not', () => {
    const codes = [
      'LOADING Redis is loading the dataset in memory',
      'MASTERDOWN Link with MASTER is down',
      'BUSY Redis is busy running a script',
    ];
    for (const text of codes) assert.ok(isTransientRefusal(redisFailure(reply(text))), text);
    assert.equal(isTransientRefusal(redisFailure(reply('BUSYKEY Target key name already exists.'))), false);
    assert.ok(isRetryableRefusal(redisFailure(reply('ASK 12 127.0.0.1:7002'))));
    // An older server's script error says READONLY only in its text.
    const script = "ERR Error running script (call to f_1): @user_script:1: -READONLY You can't write against a read only replica.";
    assert.ok(isTransientRefusal(redisFailure(reply(script))));
  });

  it('classifies connection errors by their code, and ioredis closed connections by its message', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.deepEqual(redisFailure(reset), { socketCode: 'ECONNRESET', text: 'read ECONNRESET' });
    assert.ok(isConnectionLoss(redisFailure(reset)));
    assert.equal(redisFailure(new Error('Connection is closed.')).socketCode, CONNECTION_CLOSED);
    assert.deepEqual(redisFailure(new Error('something else')), { text: 'something else' });
    assert.equal(isConnectionLoss(redisFailure(reply('ERR ECONNRESET is only words here'))), false);
  });

  it("classifies a wrapper by the error it wraps, keeping the wrapper's text", () => {
    const wrapped = new SourceUnavailableError('source a: DUMP failed: MOVED 1 b:1', { cause: reply('MOVED 1 b:1') });
    assert.deepEqual(redisFailure(wrapped), { replyCode: 'MOVED', text: 'source a: DUMP failed: MOVED 1 b:1' });
  });
});
