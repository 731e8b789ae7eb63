import { Worker } from 'node:worker_threads';
import { crc64Kernel, crc64Table, crc64Value } from '../struct/crc64.js';
import { RdbSourceError } from './rdb-errors.js';

/**
 * The worker's program. The CLI and the Lambdas are each bundled into one file, so there is no
 * worker module to point a Worker at: the program is a string, and the CRC loop in it is
 * crc64Kernel's own source (it uses nothing but its arguments, so it runs there unchanged).
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const kernel = (${crc64Kernel.toString()});
const { path, end, table } = workerData;
const state = new Int32Array(2);
const buf = Buffer.allocUnsafe(1 << 20);
const fd = openSync(path, 'r');
let at = 0;
try {
  while (at < end) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, end - at), at);
    if (n === 0) break;
    kernel(buf.subarray(0, n), table, state);
    at += n;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ lo: state[0], hi: state[1], read: at });
`;

/**
 * The CRC-64 of bytes [0, end) of a local file, computed on a worker thread that reads the file
 * itself. Why: the planning pass checks the whole file's checksum before anything is written, and
 * on the main thread that took as long as the walk itself; the target is idle while the plan runs,
 * so a second core (the one Redis will use) can take it. `signal` stops the thread.
 */
export function fileCrc64OffThread(path: string, end: number, signal?: AbortSignal): Promise<bigint> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PROGRAM, { eval: true, workerData: { path, end, table: crc64Table() } });
    const stop = () => void worker.terminate();
    signal?.addEventListener('abort', stop, { once: true });
    const settle = () => signal?.removeEventListener('abort', stop);
    worker.once('message', (result: { lo: number; hi: number; read: number }) => {
      settle();
      if (result.read < end)
        reject(new RdbSourceError(`${path} ended at byte ${result.read} while its checksum was read; the file changed`));
      else resolve(crc64Value(Int32Array.of(result.lo, result.hi)));
    });
    worker.once('error', (error) => {
      settle();
      reject(new RdbSourceError(`cannot read the RDB file ${path} to check its checksum: ${error.message}`, { cause: error }));
    });
    worker.once('exit', (code) => {
      settle();
      if (signal?.aborted) reject(signal.reason);
      else if (code !== 0) reject(new RdbSourceError(`the checksum thread for ${path} stopped (exit code ${code})`));
    });
  });
}
