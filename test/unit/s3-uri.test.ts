import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { S3UriError } from '../../src/rdb-s3/s3-errors.js';
import { isS3Uri, parseS3Uri } from '../../src/rdb-s3/s3-uri.js';

describe('parseS3Uri', () => {
  it('splits a URI at the first slash after the bucket, keeping the key as written', () => {
    assert.deepEqual(parseS3Uri('s3://my-bucket/dump.rdb'), { bucket: 'my-bucket', key: 'dump.rdb' });
    assert.deepEqual(parseS3Uri('s3://backups.example/2026/12/03/node-1 dump%20.rdb'), {
      bucket: 'backups.example',
      key: '2026/12/03/node-1 dump%20.rdb',
    });
    assert.deepEqual(parseS3Uri('s3://abc/a//b?x#y'), { bucket: 'abc', key: 'a//b?x#y' });
  });

  it('rejects each malformed URI with one line naming the problem', () => {
    const cases: [string, RegExp][] = [
      ['https://bucket/key', /does not start with s3:\/\//],
      ['S3://bucket/key', /does not start with s3:\/\//],
      ['s3://bucket', /names a bucket but no object key/],
      ['s3:///key', /bucket name is empty/],
      ['s3://bucket/', /object key is empty/],
      ['s3://bucket/backups/', /names a folder/],
      ['s3://ab/key', /"ab" is not a valid bucket name/],
      ['s3://My_Bucket/key', /"My_Bucket" is not a valid bucket name/],
      ['s3://a..b/key', /is not a valid bucket name/],
      ['s3://192.168.1.1/key', /is not a valid bucket name/],
      [`s3://bucket/${'k'.repeat(1025)}`, /longer than S3's 1024 bytes/],
    ];
    for (const [uri, problem] of cases) {
      assert.throws(
        () => parseS3Uri(uri),
        (error: Error) => {
          assert.ok(error instanceof S3UriError, uri);
          assert.equal(error.name, 'S3UriError');
          assert.match(error.message, problem, uri);
          assert.match(error.message, /write it as s3:\/\/bucket\/path\/to\/file\.rdb$/);
          assert.ok(!error.message.includes('\n'), uri);
          return true;
        },
      );
    }
  });

  it('tells an S3 URI from a file path', () => {
    assert.equal(isS3Uri('s3://b/k'), true);
    assert.equal(isS3Uri('S3://b/k'), true);
    assert.equal(isS3Uri('./s3:/dump.rdb'), false);
    assert.equal(isS3Uri('/backups/dump.rdb'), false);
  });
});
