import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

export interface PipeResult {
  errors: number;
  replies: number;
  ms: number;
}

/**
 * `redis-cli --pipe`: the fastest ingest path Redis ships. It streams raw RESP and only waits for
 * the replies at the end (an ECHO marker), so it measures what the server can absorb, not a
 * client's round trips.
 */
export interface PipeSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<PipeResult>;
}

function parseSummary(output: string, started: number, code: number | null): PipeResult {
  const m = /errors:\s*(\d+),\s*replies:\s*(\d+)/.exec(output);
  if (!m || code !== 0) throw new Error(`redis-cli --pipe failed (exit ${code}): ${output.slice(-2000)}`);
  return { errors: Number(m[1]), replies: Number(m[2]), ms: performance.now() - started };
}

function spawnPipe(host: string, port: number, stdin: 'pipe' | number) {
  const started = performance.now();
  // --pipe-timeout 0: a slow server (busy 2-core machine) must not make the load fail.
  const child = spawn('redis-cli', ['-h', host, '-p', String(port), '--pipe', '--pipe-timeout', '0'], { stdio: [stdin, 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const done = new Promise<PipeResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve(parseSummary(output, started, code));
      } catch (error) {
        reject(error);
      }
    });
  });
  return { child, done };
}

/** A `redis-cli --pipe` fed from this process, with backpressure. */
export function openPipe(host: string, port: number): PipeSink {
  const { child, done } = spawnPipe(host, port, 'pipe');
  const stdin = child.stdin!;
  // EPIPE when redis-cli dies early: end() reports the real reason from its output.
  stdin.on('error', () => {});
  return {
    async write(chunk) {
      if (stdin.write(chunk)) return;
      // Wait for room, or for redis-cli to die (then end() reports why).
      await new Promise<void>((resolve) => {
        const go = () => {
          stdin.off('drain', go);
          child.off('close', go);
          resolve();
        };
        stdin.once('drain', go);
        child.once('close', go);
      });
    },
    async end() {
      stdin.end();
      return done;
    },
  };
}

/** Times `redis-cli --pipe < file`: the file is handed over as stdin, so no Node code is on the path. */
export async function pipeFile(host: string, port: number, file: string): Promise<PipeResult> {
  const handle = await open(file, 'r');
  try {
    return await spawnPipe(host, port, handle.fd).done;
  } finally {
    await handle.close();
  }
}
