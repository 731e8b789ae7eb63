import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileByteSource } from '../../src/rdb/file-byte-source.js';
import { splitRdb } from '../../src/rdb/split-rdb.js';
import { type RdbRecord, readRdbHeader, walkRdb } from '../../src/rdb/walk-rdb.js';
import { s3ByteSource } from '../../src/rdb-s3/s3-byte-source.js';
import { locateWithS3, s3RdbLocation } from '../../src/rdb-s3/s3-rdb-location.js';
import { loadEveryEncoding } from '../fixtures/rdb-dataset.js';
import { type RedisServer, startRedis } from '../helpers/index.js';
import { RDB_FIXTURE_SERVER_ARGS, saveRdb } from '../helpers/rdb-fixture.js';
import { S3RVER_CREDENTIALS, type S3Server, startS3Server } from '../helpers/s3-server.js';

/** A record as comparable text: where it lies, and every byte the walker gives of it. */
function describeRecord(r: RdbRecord): string {
  if (r.kind === 'function') return `function ${r.start}-${r.end} ${r.code.toString('hex')}`;
  return `key ${r.db} ${r.key.toString('hex')} type ${r.type} exp ${r.expireAtMs} ${r.start}-${r.end} ${r.object.toString('hex')}`;
}

async function walkAll(records: AsyncIterable<RdbRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of records) out.push(describeRecord(r));
  return out;
}

describe('RDB walker over the S3 byte source (s3rver), against the same file read locally', () => {
  let server: RedisServer;
  let s3: S3Server;
  let path: string;
  const uri = 's3://rdb-snapshots/every-encoding.rdb';
  // Small windows, so records straddle window boundaries many times over.
  const open = () => s3ByteSource(uri, { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, windowBytes: 4096 });

  before(async () => {
    [server, s3] = await Promise.all([startRedis({ extraArgs: RDB_FIXTURE_SERVER_ARGS }), startS3Server()]);
    await loadEveryEncoding(server.client());
    path = await saveRdb(server, 'every-encoding');
    await s3.createBucket('rdb-snapshots');
    await s3.putObject('rdb-snapshots', 'every-encoding.rdb', { path });
  });
  after(async () => {
    await Promise.all([server?.stop(), s3?.stop()]);
  });

  it('reads the same header and the same records, byte for byte, checksum included', async () => {
    const local = await walkAll(walkRdb(fileByteSource(path)));
    const remote = open();
    assert.deepEqual(await readRdbHeader(remote), await readRdbHeader(fileByteSource(path)));
    assert.deepEqual(await walkAll(walkRdb(remote)), local);
    assert.ok(local.length > 20, `the fixture has many records (${local.length})`);
    assert.ok(remote.stats.gets > 3, 'read in many ranged GETs');
  });

  it('splits the object into the same ranges, and each range walks to the same records', async () => {
    const ranges = await splitRdb(open(), 4);
    assert.deepEqual(ranges, await splitRdb(fileByteSource(path), 4));
    assert.ok(ranges.length >= 2, `several ranges (${ranges.length})`);
    const pieces: string[] = [];
    for (const range of ranges) pieces.push(...(await walkAll(walkRdb(open(), { from: range.from, to: range.to }))));
    assert.deepEqual(pieces, await walkAll(walkRdb(fileByteSource(path))));
  });

  it("names the object's version by its ETag, for a resume to compare", async () => {
    const location = s3RdbLocation(uri, { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    assert.match(await location.version(), /^etag "[0-9a-f]{32}"$/);
  });

  it('hands s3:// URIs to S3 and anything else to the local-file locator it wraps', async () => {
    const local: string[] = [];
    const locate = locateWithS3(
      (file: string) => {
        local.push(file);
        return { source: fileByteSource(file), version: async () => 'local' };
      },
      { endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS },
    );
    const remote = locate(uri);
    assert.equal(remote.source.name, uri);
    assert.deepEqual(await walkAll(walkRdb(remote.source)), await walkAll(walkRdb(fileByteSource(path))));
    assert.equal(locate(path).source.name, path);
    assert.deepEqual(local, [path]);
  });
});
