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
  /** `commands` for each key, in one round trip; a lost connection is retryable. */
  const exchange = async (commands: readonly (readonly string[])[], keys: Buffer[], name: string): Promise<RespReply[]> => {
    try {
      return await pipe.sendEncoded(encodeKeyCommands(commands, keys), keys.length * commands.length);
    } catch (error) {
      throw unavailable(side, `${side} ${address}: ${name} failed: ${(error as Error).message}`, error, true);
    }
  };
  /** As exchange, and a refused command is an error naming the key and what to grant. */
  const send = async (commands: readonly (readonly string[])[], keys: Buffer[], name: string): Promise<RespReply[]> => {
    const replies = await exchange(commands, keys, name);
    const refused = replies.findIndex((r) => r instanceof ReplyError);
    if (refused >= 0) {
      const text = (replies[refused] as ReplyError).message.split('\n')[0]!;
      const key = keys[Math.floor(refused / commands.length)]!;
      throw unavailable(
        side,
        `${side} ${address} refused ${name} for key ${formatKey(key)} (${text}); verify needs TYPE, PTTL and DUMP on both sides`,
        replies[refused],
        false,
      );
    }
    return replies;
  };
  let memoryRefused = false;
  return {
    async typesAndTtls(keys) {
      if (keys.length === 0) return [];
      const replies = await send(TYPE_PTTL, keys, 'TYPE/PTTL');
      return keys.map((_, i) => [String(replies[2 * i]), replies[2 * i + 1] as number]);
    },
    async dumps(keys) {
      if (keys.length === 0) return [];
      return (await send(DUMP, keys, 'DUMP')) as (Buffer | null)[];
    },
    async sizes(keys) {
      if (memoryRefused) return undefined;
      if (keys.length === 0) return [];
      const replies = await exchange(MEMORY_USAGE, keys, 'MEMORY USAGE');
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
  return side === 'source'
    ? new SourceUnavailableError(message, { cause, retryable })
    : new TargetUnavailableError(message, { cause, retryable });
}
