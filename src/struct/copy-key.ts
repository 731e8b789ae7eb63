import { MigrationInterruptedError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { replyText } from '../redis/redis-errors.js';
import type { Command, RedisClient, StructCopyOptions, StructCopyResult, StructCopyStatus, TypeReader, WriteStep } from './contracts.js';
import { TempKeyLostError, wrapStructError } from './errors.js';
import { listReader, scanReader } from './read-collection.js';
import { streamReader } from './read-stream.js';
import { stringReader } from './read-string.js';
import { type ReaderContext, readerContext, TypeChangedError } from './reader-context.js';
import { isTooBigReply, targetBulkLimit } from './target-bulk-limit.js';
import { targetCaps } from './target-caps.js';
import { DEFAULT_TEMP_PREFIX, tempKeyFor } from './temp-key.js';

export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CHUNK_BYTES = 1 << 20;
export const DEFAULT_TEMP_TTL_MS = 3_600_000;
/** A key that changes type mid-copy is started over this many times at most. */
const MAX_ATTEMPTS = 3;

/**
 * Copies one key by type, in chunks, under a temporary name, and RENAMEs it into place with its
 * TTL. The protocol, which the copy loop can rely on:
 *
 *   1. TYPE and PTTL on the source (and EXISTS on the target when `replace` is false: a key the
 *      target already has is reported 'existing' before anything is read).
 *   2. Chunks are read with the type's read commands and written to a temporary key in the same
 *      hash slot (temp-key.ts). While reading chunk n+1, chunk n is written, so at most three
 *      chunks are in memory whatever the key's size. The first write gives the temporary key a
 *      safety TTL (tempTtlMs); every later write first refreshes it with PEXPIRE, whose reply also
 *      proves the temporary key is still there (else TempKeyLostError, retryable).
 *   3. At the end, one MULTI/EXEC: PEXPIRE (or PERSIST) the temporary key to the key's TTL, RENAME
 *      it over the key (RENAMENX when not replacing), UNLINK it (a no-op unless RENAMENX declined).
 *      Setting the TTL on the temporary key inside the same transaction is what makes it safe:
 *      after RENAME the key would exist, for a moment or after a crash forever, with the safety
 *      TTL or none. RENAME carries the TTL over with the value.
 *   A value read in one chunk is written with step 3 in the same MULTI: one round trip, atomic.
 *
 * A crash at any point before EXEC leaves the real key untouched (old value or absent) and an
 * orphaned temporary key that expires by itself (or cleanupTempKeys removes it); copying the key
 * again starts over under a new temporary name. Errors remove the temporary key and are rethrown
 * as MigrationErrors (retryable when a connection dropped).
 */
export async function copyKeyByType(
  source: RedisClient,
  target: RedisClient,
  key: Buffer,
  options: StructCopyOptions,
): Promise<StructCopyResult> {
  const startedAt = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await copyOnce(source, target, key, options, startedAt);
    } catch (error) {
      if (!(error instanceof TypeChangedError)) throw error;
      if (attempt >= MAX_ATTEMPTS)
        throw new SourceUnavailableError(
          `key ${formatKey(key)} changed type ${attempt} times while it was copied; copy it when it is quieter`,
          { cause: error, retryable: true },
        );
    }
  }
}

function createReader(type: string, ctx: ReaderContext): TypeReader | null {
  switch (type) {
    case 'string':
      return stringReader(ctx);
    case 'hash':
    case 'set':
    case 'zset':
      return scanReader(type, ctx);
    case 'list':
      return listReader(ctx);
    case 'stream':
      return streamReader(ctx);
    default:
      return null;
  }
}

async function copyOnce(
  source: RedisClient,
  target: RedisClient,
  key: Buffer,
  options: StructCopyOptions,
  startedAt: number,
): Promise<StructCopyResult> {
  const readAt = performance.now();
  const onSource = <T>(command: string, ...args: (string | Buffer | number)[]) =>
    source.call(command, ...args).catch((e) => Promise.reject(wrapStructError('source', key, command, e))) as Promise<T>;
  const [type, pttl, exists] = await Promise.all([
    onSource<string>('TYPE', key),
    onSource<number>('PTTL', key),
    options.replace
      ? 0
      : (target.call('EXISTS', key).catch((e) => Promise.reject(wrapStructError('target', key, 'EXISTS', e))) as Promise<number>),
  ]);
  const result: StructCopyResult = {
    key,
    status: 'copied',
    type,
    elements: 0,
    bytes: 0,
    chunks: 0,
    changedDuringCopy: false,
    notCarried: {},
    ttlMs: 0,
    durationMs: 0,
  };
  const finish = (status: StructCopyStatus) => ({ ...result, status, durationMs: performance.now() - startedAt });
  if (type === 'none' || pttl === -2) return finish('gone');
  if (exists) return finish('existing');

  const temp = tempKeyFor(key, options.tempPrefix ?? DEFAULT_TEMP_PREFIX);
  const ctx = readerContext(source, key, temp, {
    chunkSize: Math.max(1, options.chunkSize ?? DEFAULT_CHUNK_SIZE),
    chunkBytes: Math.max(1, options.chunkBytes ?? DEFAULT_CHUNK_BYTES),
    streamPending: options.streamPending ?? 'claim',
    caps: await targetCaps(target),
  });
  const reader = createReader(type, ctx);
  if (!reader) {
    result.notCarried = { 'module-type': 1 };
    return finish('unsupported');
  }

  const tempTtlMs = options.tempTtlMs ?? DEFAULT_TEMP_TTL_MS;
  let created = false;

  const account = (step: WriteStep) => {
    result.elements += step.elements;
    result.bytes += step.bytes;
    result.chunks++;
    options.onChunk?.({ elements: result.elements, bytes: result.bytes });
  };
  const writeChunk = async (step: WriteStep) => {
    if (step.commands.length === 0) return;
    const commands: Command[] = created
      ? [['PEXPIRE', temp, tempTtlMs], ...step.commands]
      : [...step.commands, ['PEXPIRE', temp, tempTtlMs]];
    const replies = await execute(target, key, commands, false);
    if (created && replies[0] !== 1) {
      throw new TempKeyLostError(
        key,
        `the temporary copy of key ${formatKey(key)} vanished mid-copy (expired after a ` +
          `stall over ${tempTtlMs} ms, or removed by a cleanup); copy the key again`,
      );
    }
    const own = created ? replies.slice(1) : replies.slice(0, -1);
    created = true;
    step.inspect?.(own);
    account(step);
  };
  const checkAbort = () => {
    if (options.signal?.aborted)
      throw new MigrationInterruptedError(
        `copy of key ${formatKey(key)} stopped before it finished; it is copied again from the start next time`,
        { cause: options.signal.reason },
      );
  };

  try {
    const [fingerprint, first, limit] = await Promise.all([ctx.readText(...reader.fingerprint), reader.next(), targetBulkLimit(target)]);
    if (first === null) return finish('gone');
    // A string longer than the target's proto-max-bulk-len cannot be built there (SETRANGE refuses
    // it): stop before writing. Its fingerprint is STRLEN. An unknown limit shows as that refusal.
    if (type === 'string' && limit !== undefined && Number(fingerprint) > limit)
      return { ...finish('too-big'), bytes: Number(fingerprint) };
    let second = await reader.next();
    let ttl: number | null;
    const finalSteps: WriteStep[] = [];
    if (second === null) {
      // Read in one command: write it and rename it in one transaction.
      ttl = options.ttlMs !== undefined ? remaining(options.ttlMs, startedAt) : remaining(pttl === -1 ? 0 : pttl, readAt);
      finalSteps.push(first);
    } else {
      let pending: WriteStep = first;
      while (second !== null) {
        checkAbort();
        // Write this chunk while the next one is read; both settle before an error is rethrown,
        // so no write lands after the temporary key was removed.
        const [written, read] = await Promise.allSettled([writeChunk(pending), reader.next()]);
        if (written.status === 'rejected') throw written.reason;
        if (read.status === 'rejected') throw read.reason;
        pending = second;
        second = read.value;
      }
      checkAbort();
      await writeChunk(pending);
      const [after, pttlAfter] = await Promise.all([ctx.readText(...reader.fingerprint), onSource<number>('PTTL', key)]);
      result.changedDuringCopy = canonical(after) !== canonical(fingerprint);
      if (!created) return finish('gone');
      if (options.ttlMs !== undefined) ttl = remaining(options.ttlMs, startedAt);
      else if (pttlAfter === -2) {
        await target.unlink(temp).catch(() => {});
        return finish('gone');
      } else ttl = pttlAfter === -1 ? 0 : pttlAfter >= 1 ? pttlAfter : null;
    }
    if (ttl === null) {
      if (created) await target.unlink(temp).catch(() => {});
      return finish('expired');
    }
    result.ttlMs = ttl;

    const dataCommands = finalSteps.flatMap((s) => s.commands);
    const replies = await execute(
      target,
      key,
      [
        ...dataCommands,
        ttl > 0 ? ['PEXPIRE', temp, ttl] : ['PERSIST', temp],
        [options.replace ? 'RENAME' : 'RENAMENX', temp, key],
        ['UNLINK', temp],
      ],
      true,
      dataCommands.length + 1,
    );
    let offset = 0;
    for (const step of finalSteps) {
      step.inspect?.(replies.slice(offset, offset + step.commands.length));
      offset += step.commands.length;
      account(step);
    }
    if (finalSteps.length === 0) result.chunks++;
    Object.assign(result.notCarried, reader.notCarried);
    const renamed = replies[dataCommands.length + 1];
    if (renamed instanceof Error) {
      // Nothing was written under the temporary name: the value was empty (emptied meanwhile).
      if (/no such key/i.test(renamed.message)) return finish('gone');
      throw wrapStructError('target', key, options.replace ? 'RENAME' : 'RENAMENX', renamed);
    }
    return finish(!options.replace && renamed === 0 ? 'existing' : 'copied');
  } catch (error) {
    await target.unlink(temp).catch(() => {});
    if (type === 'string' && isTooBigReply(replyText(error))) {
      return { ...finish('too-big'), bytes: await onSource<number>('STRLEN', key) };
    }
    throw error;
  }
}

/** ms left of `ttlMs` counted from `since`; 0 means no expiry; null when it already ran out. */
function remaining(ttlMs: number, since: number): number | null {
  if (ttlMs === 0) return 0;
  const left = Math.floor(ttlMs - (performance.now() - since));
  return left >= 1 ? left : null;
}

/**
 * Sends commands to the target as one pipeline (or MULTI/EXEC). Returns the replies; an error reply
 * throws, except at index `tolerate` (whose Error is returned in place for the caller to judge).
 */
export async function execute(
  target: RedisClient,
  key: Buffer,
  commands: Command[],
  transaction: boolean,
  tolerate = -1,
): Promise<unknown[]> {
  const batch = transaction ? target.multi() : target.pipeline();
  for (const [name, ...args] of commands) batch.call(name, ...args);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await batch.exec();
  } catch (error) {
    throw wrapStructError('target', key, transaction ? 'MULTI/EXEC' : commands[0]![0], error);
  }
  if (!replies) throw new TargetUnavailableError(`target discarded the transaction for key ${formatKey(key)}`, { retryable: true });
  return replies.map(([error, value], i) => {
    if (!error) return value;
    if (i === tolerate) return error;
    throw wrapStructError('target', key, commands[i]![0], error);
  });
}

function canonical(reply: unknown): string {
  return JSON.stringify(reply, (_k, v) =>
    v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
      ? Buffer.from((v as { data: number[] }).data).toString('hex')
      : v,
  );
}
