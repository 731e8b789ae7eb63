import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEndpointUrl, redactUrl } from '../../src/cli/endpoint-url.js';

describe('Function: parseEndpointUrl', () => {
  it('reads user, password, host and db', () => {
    const { endpoint, db } = parseEndpointUrl('--source', 'redis://app:s%40cret@10.0.0.5:6379/3');
    assert.equal(endpoint.username, 'app');
    assert.equal(endpoint.password, 's@cret');
    assert.deepEqual(endpoint.addresses, ['10.0.0.5:6379']);
    assert.equal(db, 3);
  });

  it('rediss:// turns TLS on with verification, ?verify=false turns verification off', () => {
    assert.deepEqual(parseEndpointUrl('--target', 'rediss://h:6380?ca=/ca.pem').endpoint.tls, {
      enabled: true,
      caFile: '/ca.pem',
      verify: true,
    });
    assert.equal((parseEndpointUrl('--target', 'rediss://h:6380?verify=false').endpoint.tls as { verify: boolean }).verify, false);
  });

  it('knows clusters and sentinels', () => {
    assert.equal(parseEndpointUrl('--target', 'redis://h:7000?cluster=true').endpoint.topology, 'cluster');
    const sentinel = parseEndpointUrl('--source', 'redis-sentinel://s1:26379,s2:26379?master=mymaster&replica=true').endpoint;
    assert.equal(sentinel.topology, 'sentinel');
    assert.equal(sentinel.masterName, 'mymaster');
    assert.equal(sentinel.preferReplica, true);
  });

  it('rejects unknown options and malformed URLs without echoing the password', () => {
    assert.throws(() => parseEndpointUrl('--source', 'redis://h:1?clustr=true'), /unknown URL option "clustr"/);
    assert.throws(
      () => parseEndpointUrl('--source', 'http://:hunter2@h:1'),
      (e: Error) => !e.message.includes('hunter2'),
    );
  });

  it('redacts passwords', () => {
    assert.equal(redactUrl('redis://u:pw@h:1'), 'redis://u:***@h:1');
  });
});
