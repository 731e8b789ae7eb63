import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { ByteSource } from './byte-source.js';
import { fileCrc64OffThread } from './checksum-thread.js';
import { RdbSourceError } from './rdb-errors.js';

/** Read size: big enough that per-chunk overhead vanishes, small enough to keep memory flat. */
const CHUNK_BYTES = 1 << 20;

function sourceError(path: string, err: unknown): RdbSourceError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : err instanceof Error
            ? err.message
            : String(err);
  return new RdbSourceError(`cannot read the RDB file ${path}: ${why}; pass the path of a readable .rdb file`, { cause: err });
}

/** A local file as a ByteSource: streamed 1 MiB at a time, or read at any offset (openReader). */
export function fileByteSource(path: string): ByteSource {
  return {
    name: path,
    async size() {
      try {
        const info = await stat(path);
        if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: info.isDirectory() ? 'EISDIR' : undefined });
        return info.size;
      } catch (err) {
        throw sourceError(path, err);
      }
    },
    async *stream(start, end, signal) {
      if (end <= start) return;
      const stream = createReadStream(path, { start, end: end - 1, highWaterMark: CHUNK_BYTES, signal });
      try {
        for await (const chunk of stream) yield chunk as Buffer;
      } catch (err) {
        if (signal?.aborted) throw signal.reason ?? err;
        throw sourceError(path, err);
      } finally {
        stream.destroy();
      }
    },
    checksum: (end, signal) => fileCrc64OffThread(path, end, signal),
    async openReader() {
      const handle = await open(path, 'r').catch((err: unknown) => {
        throw sourceError(path, err);
      });
      return {
        async read(into, at, length, position) {
          try {
            return (await handle.read(into, at, length, position)).bytesRead;
          } catch (err) {
            throw sourceError(path, err);
          }
        },
        close: () => handle.close(),
      };
    },
  };
}
