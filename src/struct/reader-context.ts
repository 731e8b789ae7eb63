import { MigrationError } from '../core/errors.js';
import { redisFailure } from '../redis/redis-errors.js';
import type { CommandArg, RedisClient } from './contracts.js';
import { wrapStructError } from './errors.js';
import type { TargetCaps } from './target-caps.js';

/** The key changed type while it was being read; the copy starts over (internal: copy-key catches it). */
export class TypeChangedError extends MigrationError {
  constructor(options?: ErrorOptions) {
    super('key changed type during the copy', { ...options, retryable: true });
    this.name = 'TypeChangedError';
  }
}

/** What a type reader needs: where to read, what to write to, and how big a chunk should be. */
export interface ReaderContext {
  key: Buffer;
  temp: Buffer;
  chunkSize: number;
  chunkBytes: number;
  streamPending: 'claim' | 'skip';
  caps: TargetCaps;
  /** A command on the source, Buffer replies, errors translated (WRONGTYPE → TypeChangedError). */
  read(command: string, ...args: CommandArg[]): Promise<unknown>;
  /** The same with string replies (for XINFO and other replies that are parsed, not copied). */
  readText(command: string, ...args: CommandArg[]): Promise<unknown>;
}

export function readerContext(
  source: RedisClient,
  key: Buffer,
  temp: Buffer,
  options: Omit<ReaderContext, 'key' | 'temp' | 'read' | 'readText'>,
): ReaderContext {
  const call = async (buffers: boolean, command: string, args: CommandArg[]) => {
    try {
      return buffers ? await source.callBuffer(command, ...args) : await source.call(command, ...args);
    } catch (error) {
      if (redisFailure(error).replyCode === 'WRONGTYPE') throw new TypeChangedError({ cause: error });
      throw wrapStructError('source', key, command, error);
    }
  };
  return {
    ...options,
    key,
    temp,
    read: (command, ...args) => call(true, command, args),
    readText: (command, ...args) => call(false, command, args),
  };
}
