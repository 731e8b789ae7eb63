import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { restorePayload } from '../src/rdb/dump-payload.js';
import { fileByteSource } from '../src/rdb/file-byte-source.js';
import { readRdbHeader, walkRdb } from '../src/rdb/walk-rdb.js';
import { saveRdb } from '../test/helpers/rdb-fixture.js';
import { type S3Server, startS3Server } from '../test/helpers/s3-server.js';
import type { RestoreFile } from './ceilings.js';
import { measureIngest } from './ceilings.js';
import type { FerryOptions } from './ferry-child.js';
import { ferryOnce } from './ferry-scenarios.js';
import type { ScenarioResult } from './report.js';
import { RespWriter } from './resp.js';
import type { RunSample, ServerSides } from './sample.js';
import type { StandalonePair } from './topology.js';

/**
 * (r) Restoring the bench's dataset from its own RDB file: the source is BGSAVEd once (not timed),
 * then, into the same empty target each run:
 *   (a) the ingest ceiling for this file: `redis-cli --pipe` of `RESTORE key ttl payload ABSTTL`
 *       commands built from the file's records (the payload is the record's object bytes plus the
 *       DUMP trailer, exactly what redis-ferry's fast path sends);
 *   (r-file) `redis-ferry restore dump.rdb --target …`, the bundled CLI in a child process;
 *   (r-s3) the same from s3rver (a real S3 API on loopback, in the bench process: it shares the cores).
 * The source redis-server is stopped before the rows run, so nothing but the target and the client
 * share the machine, as when a backup is restored.
 */

export type Scenario = (id: string, label: string, once: () => Promise<RunSample>, sides: ServerSides) => Promise<ScenarioResult>;

export interface RestoreBenchInput {
  pair: StandalonePair;
  keys: number;
  dataDir: string;
  ferry: (source: string, target: string) => FerryOptions;
  scenario: Scenario;
  log: (line: string) => void;
}

export interface RestoreBenchReport {
  rdbBytes: number;
  saveMs: number;
  payloadBytes: number;
  results: ScenarioResult[];
}

const BUCKET = 'bench-backups';
const OBJECT_KEY = 'bench/dump.rdb';

export async function runRestoreBench(input: RestoreBenchInput): Promise<RestoreBenchReport> {
  const { pair, keys, dataDir, ferry, scenario, log } = input;
  const started = performance.now();
  const rdb = await saveRdb(pair.source, 'bench-restore');
  const saveMs = performance.now() - started;
  const rdbBytes = (await stat(rdb)).size;
  log(`(r) BGSAVE of the source: ${(rdbBytes / 1e6).toFixed(1)} MB in ${(saveMs / 1000).toFixed(1)} s; building the RESTORE file…`);
  const file = await writeRdbRestoreFile(rdb, join(dataDir, `rdb-restore-${keys}.resp`));
  if (file.keys !== keys) throw new Error(`(r) the RDB holds ${file.keys} keys, the source ${keys}`);

  const target = { host: pair.target.host, port: pair.target.port };
  const sides: ServerSides = { source: [], target: [pair.targetAdmin] };
  const targetUrl = `redis://${pair.target.address}`;
  const results: ScenarioResult[] = [];
  let s3: S3Server | undefined;
  try {
    results.push(
      await scenario(
        'a',
        '(a) restore ingest ceiling: RESTORE … ABSTTL from the RDB | redis-cli --pipe',
        () => measureIngest(file, target, pair.targetAdmin),
        sides,
      ),
    );
    const withBytes = (run: () => Promise<RunSample>) => async () => ({ ...(await run()), bytes: rdbBytes });
    const fromFile = { ...ferry('', targetUrl), restore: rdb };
    results.push(
      await scenario(
        'r-file',
        '(r) redis-ferry restore from the local file',
        withBytes(() => ferryOnce(fromFile, [pair.targetAdmin], keys)),
        sides,
      ),
    );
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    await s3.putObject(BUCKET, OBJECT_KEY, { path: rdb });
    const base = ferry('', targetUrl);
    const fromS3 = {
      ...base,
      restore: `s3://${BUCKET}/${OBJECT_KEY}`,
      env: s3.env(),
      args: [...(base.args ?? []), '--s3-endpoint', s3.endpoint],
    };
    results.push(
      await scenario(
        'r-s3',
        '(r) redis-ferry restore from S3 (s3rver on loopback)',
        withBytes(() => ferryOnce(fromS3, [pair.targetAdmin], keys)),
        sides,
      ),
    );
  } finally {
    await s3?.stop();
  }
  return { rdbBytes, saveMs, payloadBytes: file.bytes, results };
}

/** The RDB's keys as `RESTORE key ttl payload ABSTTL` commands (absolute expiry as in the file, 0 for none). */
export async function writeRdbRestoreFile(rdb: string, path: string): Promise<RestoreFile> {
  const out = createWriteStream(path);
  const w = new RespWriter();
  let keys = 0;
  let bytes = 0;
  let version = 0;
  try {
    const source = fileByteSource(rdb);
    const header = await readRdbHeader(source);
    version = header.version;
    for await (const record of walkRdb(source, { header })) {
      if (record.kind !== 'key') continue;
      const payload = restorePayload(record.type, record.object, version);
      w.array(5)
        .bulk('RESTORE')
        .bulkBytes(record.key)
        .bulk(record.expireAtMs ?? 0)
        .bulkBytes(payload)
        .bulk('ABSTTL');
      keys++;
      bytes += payload.length;
      if (keys % 1000 === 0 && !out.write(w.take())) await once(out, 'drain');
    }
    out.write(w.take());
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { path, keys, bytes };
}
