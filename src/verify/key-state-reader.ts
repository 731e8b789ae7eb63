import { SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { encodeKeyCommands } from '../redis/resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from '../redis/resp-pipe.js';
import type { RedisClient } from '../struct/contracts.js';

/**
 * What the verifier reads of a batch of keys on one side. Two ways to read it: over a node's
 * RespPipe, the copy's lean data path (one buffer out, replies parsed into Buffers: several times
 * less client CPU per key than ioredis commands), or through an ioredis client, one command per
 * key, which a cluster client routes by slot.
 */
export interface KeyStateReader {
  /** TYPE and PTTL of each key, in order ('none' and -2 for a missing key). */
  typesAndTtls(keys: Buffer[]): Promise<[string, number][]>;
  /** DUMP of each key, in order (null for a missing key). */
  dumps(keys: Buffer[]): Promise<(Buffer | null)[]>;
  /**
   * MEMORY USAGE of each key (null for a missing key), or undefined where MEMORY is refused: the
   * caller then estimates sizes with SizeProbe's fallbacks.
   */
  sizes?(keys: Buffer[]): Promise<(number | null)[] | undefined>;
}

const TYPE_PTTL = [['TYPE'], ['PTTL']];
const DUMP = [['DUMP']];
const MEMORY_USAGE = [['MEMORY', 'USAGE']];

export type VerifySide = 'source' | 'target';

/** Reads over a RespPipe already SELECTed on the db: one round trip per call. */
export function pipeReader(pipe: RespPipe, side: VerifySide, address: string): KeyStateReader {
  const send = async (payload: Buffer, count: number, command: string, keys: Buffer[]): Promise<RespReply[]> => {
    let replies: RespReply[];
    try {
      replies = await pipe.sendEncoded(payload, count);
    } catch (error) {
      throw unavailable(side, `${side} ${address}: ${command} failed: ${(error as Error).message}`, error, true);
    }
    const refused = replies.findIndex((r) => r instanceof ReplyError);
    if (refused >= 0) {
      const text = (replies[refused] as ReplyError).message.split('\n')[0]!;
      const key = keys[Math.floor(refused / (count / keys.length))]!;
      throw unavailable(side, `${side} ${address} refused ${command} for key ${formatKey(key)} (${text}); verify needs TYPE, PTTL and DUMP on both sides`, replies[refused], false);
    }
    return replies;
  };
  let memoryRefused = false;
  return {
    async typesAndTtls(keys) {
      if (keys.length === 0) return [];
      const replies = await send(encodeKeyCommands(TYPE_PTTL, keys), keys.length * 2, 'TYPE/PTTL', keys);
      return keys.map((_, i) => [String(replies[2 * i]), replies[2 * i + 1] as number]);
    },
    async dumps(keys) {
      if (keys.length === 0) return [];
      return (await send(encodeKeyCommands(DUMP, keys), keys.length, 'DUMP', keys)) as (Buffer | null)[];
    },
    async sizes(keys) {
      if (memoryRefused) return undefined;
      if (keys.length === 0) return [];
      let replies: RespReply[];
      try {
        replies = await pipe.sendEncoded(encodeKeyCommands(MEMORY_USAGE, keys), keys.length);
      } catch (error) {
        throw unavailable(side, `${side} ${address}: MEMORY USAGE failed: ${(error as Error).message}`, error, true);
      }
      if (replies.some((r) => r instanceof ReplyError)) {
        memoryRefused = true;
        return undefined;
      }
      return replies as (number | null)[];
    },
  };
}

/** Reads through ioredis, one command per key (sent concurrently: ioredis writes them back to back). */
export function clientReader(client: RedisClient): KeyStateReader {
  return {
    typesAndTtls(keys) {
      return Promise.all(
        keys.map(async (key) => {
          const [type, ttl] = await Promise.all([client.type(key), client.pttl(key)]);
          return [type, ttl] as [string, number];
        }),
      );
    },
    dumps(keys) {
      return Promise.all(keys.map((key) => client.dumpBuffer(key)));
    },
  };
}

function unavailable(side: VerifySide, message: string, cause: unknown, retryable: boolean): Error {
  return side === 'source' ? new SourceUnavailableError(message, { cause, retryable }) : new TargetUnavailableError(message, { cause, retryable });
}
