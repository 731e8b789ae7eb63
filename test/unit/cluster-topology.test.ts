import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNodes, parseShards, parseSlots } from '../../src/redis/cluster-topology.js';
import { formatRanges, keySlot, mergeRanges, slotSet } from '../../src/redis/key-slot.js';

describe('Function: keySlot', () => {
  it('matches the server (CLUSTER KEYSLOT) for plain keys, hash tags and binary keys', () => {
    assert.equal(keySlot(Buffer.from('foo')), 12182);
    assert.equal(keySlot(Buffer.from('bar')), 5061);
    assert.equal(keySlot(Buffer.from('')), 0);
    assert.equal(keySlot(Buffer.from('{user1000}.following')), keySlot(Buffer.from('{user1000}.followers')));
    assert.notEqual(keySlot(Buffer.from('foo{}{bar}')), keySlot(Buffer.from('bar')), 'an empty first tag hashes the whole key');
    assert.equal(keySlot(Buffer.from('foo{bar}{zap}')), keySlot(Buffer.from('bar')));
    assert.equal(keySlot(Buffer.from([0xff, 0x00, 0x7b, 0x61, 0x7d])), keySlot(Buffer.from('a')));
  });
});

describe('Functions: slot ranges', () => {
  it('merges touching ranges, tests membership, and formats long lists briefly', () => {
    assert.deepEqual(
      mergeRanges([
        [10, 20],
        [0, 9],
        [30, 40],
        [21, 25],
      ]),
      [
        [0, 25],
        [30, 40],
      ],
    );
    const has = slotSet([
      [0, 5],
      [100, 100],
    ]);
    assert.ok(has(5) && has(100) && !has(6) && !has(99));
    assert.equal(formatRanges([[0, 5460]]), '0-5460');
    assert.equal(
      formatRanges(
        [
          [1, 1],
          [3, 3],
          [5, 5],
          [7, 7],
          [9, 9],
        ],
        2,
      ),
      '1,3,… (5 ranges, 5 slots)',
    );
  });
});

describe('Functions: cluster layout parsers', () => {
  it('CLUSTER SHARDS (RESP2 flat maps): the master and its replicas, the TLS port on a TLS connection, unknown endpoints as the seed host', () => {
    const reply = [
      [
        'slots',
        [0, 5460],
        'nodes',
        [
          [
            'id',
            'a'.repeat(40),
            'port',
            7000,
            'tls-port',
            7100,
            'ip',
            '10.0.0.1',
            'endpoint',
            '10.0.0.1',
            'role',
            'master',
            'health',
            'online',
          ],
          ['id', 'b'.repeat(40), 'port', 7001, 'tls-port', 7101, 'ip', '10.0.0.2', 'endpoint', '?', 'role', 'replica', 'health', 'loading'],
        ],
      ],
      [
        'slots',
        [],
        'nodes',
        [['id', 'c'.repeat(40), 'port', 7002, 'ip', '10.0.0.3', 'endpoint', '10.0.0.3', 'role', 'master', 'health', 'online']],
      ],
    ];
    const shards = parseShards(reply, 'seed', true);
    assert.equal(shards.length, 1, 'a master without slots is no shard');
    assert.deepEqual(shards[0]!.master, { id: 'a'.repeat(40), address: '10.0.0.1:7100', healthy: true });
    assert.deepEqual(shards[0]!.replicas, [{ id: 'b'.repeat(40), address: 'seed:7101', healthy: false }]);
    assert.equal(parseShards(reply, 'seed', false)[0]!.master.address, '10.0.0.1:7000');
  });

  it('CLUSTER SLOTS: one entry per range, an empty host meaning the node asked', () => {
    const shards = parseSlots(
      [
        [0, 100, ['', 7000, 'id-a', []], ['10.0.0.2', 7001, 'id-b', []]],
        [101, 16383, ['10.0.0.3', 7002, 'id-c']],
      ],
      'seed',
    );
    assert.deepEqual(
      shards.map((s) => [s.master.address, s.replicas.map((r) => r.address), s.slots]),
      [
        ['seed:7000', ['10.0.0.2:7001'], [[0, 100]]],
        ['10.0.0.3:7002', [], [[101, 16383]]],
      ],
    );
  });

  it('CLUSTER NODES: ranges and single slots, migration markers ignored, replicas attached, failed nodes unhealthy', () => {
    const text = [
      'aaa 10.0.0.1:7000@17000 myself,master - 0 0 1 connected 0-100 105 [106->-bbb]',
      'bbb 10.0.0.2:7001@17001,host-b master - 0 0 2 connected 101-104 106-16383',
      'ccc 10.0.0.3:7002@17002 slave aaa 0 0 1 connected',
      'ddd :7003@17003 slave,fail bbb 0 0 2 disconnected',
    ].join('\n');
    const shards = parseNodes(text, 'seed');
    assert.deepEqual(
      shards.map((s) => [s.master.address, s.slots]),
      [
        [
          '10.0.0.1:7000',
          [
            [0, 100],
            [105, 105],
          ],
        ],
        [
          '10.0.0.2:7001',
          [
            [101, 104],
            [106, 16383],
          ],
        ],
      ],
    );
    assert.deepEqual(shards[0]!.replicas, [{ id: 'ccc', address: '10.0.0.3:7002', healthy: true }]);
    assert.deepEqual(shards[1]!.replicas, [{ id: 'ddd', address: 'seed:7003', healthy: false }]);
  });
});
