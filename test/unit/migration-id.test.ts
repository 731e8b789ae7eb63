import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.js';
import { defaultMigrationId, defaultReconcileId, isValidMigrationId } from '../../src/core/migration-id.js';
import { defaultRestoreId, parseRestoreConfig } from '../../src/core/restore-config.js';

// The default ids name state dirs and checkpoint items already on disk and in DynamoDB: a change
// to how they are derived would orphan every half-done run. These values were taken before the
// copy and restore ids came to share one derivation; they must never change.
const target = { addresses: ['127.0.0.1:6380', '127.0.0.1:6379'], username: 'bob' };
const SHAPES = [
  { options: {}, ids: ['m-f52a1ed243bb', 'r-16bf3c28ea8c', 'r-36c55ca12d95', 'rdb-bcee9cc6f668'] },
  {
    options: { dbs: [3, 1], dbMap: { '1': 2 }, onExistingKey: 'replace' },
    ids: ['m-0a4c81defa5d', 'r-258f035b11f1', 'r-9cfe8f0bf898', 'rdb-de0ee72773db'],
  },
  {
    options: { scan: { match: 'user:*' }, filter: { allowKeyPrefix: ['a:'], blockDb: [3] } },
    ids: ['m-b083c2fee355', 'r-3e59bd81bf88', 'r-1290c61fdc85', 'rdb-79d31c049ab7'],
  },
];

describe('Default run ids', () => {
  it('stay the same for the same copy, reconcile pass and restore', () => {
    for (const { options, ids } of SHAPES) {
      // Prepare
      const copy = parseConfig({ source: { addresses: ['127.0.0.1:7000'] }, target, ...options });
      const restore = parseRestoreConfig({ rdb: { uri: '/backups/dump.rdb' }, target, ...options });

      // Act
      const derived = [
        defaultMigrationId(copy),
        defaultReconcileId(copy, true),
        defaultReconcileId(copy, false),
        defaultRestoreId(restore),
      ];

      // Assess
      assert.deepEqual(derived, ids);
      for (const id of derived) assert.ok(isValidMigrationId(id), id);
    }
  });

  it('leave passwords out, and tell apart restores of two files to the same target', () => {
    // Prepare
    const restore = (uri: string, password?: string) =>
      parseRestoreConfig({ rdb: { uri }, target: { ...target, ...(password ? { password } : {}) } });

    // Act, Assess
    assert.equal(defaultRestoreId(restore('/a.rdb', 'one')), defaultRestoreId(restore('/a.rdb', 'two')));
    assert.notEqual(defaultRestoreId(restore('/a.rdb')), defaultRestoreId(restore('/b.rdb')));
  });
});
