import type { Redis } from 'ioredis';
import type { EndpointConfig } from '../core/config.js';
import { isRefusal, type ProbeResult, type Refusal, tryReply } from './command-probe.js';
import { connectNode, quit } from './connect.js';
import { nodeState, parseInfo } from './info.js';
import { redisFailure, type Side } from './redis-errors.js';
import { ReplyError } from './resp-pipe.js';

/**
 * Redis 7 functions on one node: FUNCTION LIST WITHCODE to see them, FUNCTION DUMP / RESTORE to
 * copy them (the way redis-shake v4 does), FUNCTION LOAD for a single library. Library code is
 * kept as bytes and compared byte for byte.
 */

/** One function library, as FUNCTION LIST WITHCODE describes it. */
export interface FunctionLibrary {
  name: string;
  engine: string;
  /** Names of the functions it registers. */
  functions: string[];
  /** The source text (`#!lua name=…`). */
  code: Buffer;
}

/** What one node holds, or why it cannot say. */
export interface NodeFunctions {
  address: string;
  redisVersion: string;
  /** False before Redis 7.0, which has no FUNCTION command. */
  supported: boolean;
  /** The node's libraries, or the refusal of FUNCTION LIST (ACL, a disabled command). */
  libraries: ProbeResult<FunctionLibrary[]>;
}

/** Redis 7.0 introduced functions; an unknown version is left to the command to tell. */
export function versionHasFunctions(version: string): boolean {
  const major = Number(/^(\d+)\./.exec(version)?.[1]);
  return !Number.isFinite(major) || major >= 7;
}

/** Runs `use` on a fresh connection to one node, closed afterwards. */
export async function onNode<T>(side: Side, endpoint: EndpointConfig, address: string, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = await connectNode(side, endpoint, address);
  try {
    return await use(client);
  } finally {
    await quit(client);
  }
}

export async function readNodeFunctions(client: Redis, address: string): Promise<NodeFunctions> {
  const redisVersion = nodeState(parseInfo(await client.info('server'))).redisVersion;
  if (!versionHasFunctions(redisVersion)) return { address, redisVersion, supported: false, libraries: { refused: false, value: [] } };
  const libraries = await tryReply(async () => parseLibraries(await client.callBuffer('FUNCTION', 'LIST', 'WITHCODE')));
  return { address, redisVersion, supported: true, libraries };
}

/** Every library of the node in one payload (FUNCTION DUMP). */
export async function dumpFunctions(client: Redis): Promise<Buffer> {
  return (await client.callBuffer('FUNCTION', 'DUMP')) as Buffer;
}

/** FUNCTION RESTORE: APPEND fails on a library the node already has, REPLACE overwrites it. */
export async function restoreFunctions(client: Redis, payload: Buffer, policy: 'APPEND' | 'REPLACE'): Promise<void> {
  await client.call('FUNCTION', 'RESTORE', payload, policy);
}

/** FUNCTION LOAD of one library's code (fails if the node has a library of that name). */
export async function loadLibrary(client: Redis, library: FunctionLibrary): Promise<void> {
  await client.call('FUNCTION', 'LOAD', library.code);
}

/**
 * Whether the user may run FUNCTION `command` (RESTORE or LOAD) here, asked with an invalid
 * payload, which the server rejects ("DUMP payload version…", "Missing library metadata") without
 * writing anything once the command itself is allowed.
 */
export async function functionWriteRefusal(client: Redis, command: 'RESTORE' | 'LOAD'): Promise<Refusal | undefined> {
  try {
    await client.call('FUNCTION', command, Buffer.from([0]));
  } catch (error) {
    const failure = redisFailure(error);
    if (isRefusal(failure)) return { refused: true, reason: failure.text };
    if (!(error instanceof ReplyError)) throw error;
  }
  return undefined;
}

type Reply = Buffer | null | number | Reply[];

/** A RESP2 flat [key, value, …] array as a record with string keys. */
function record(entry: Reply): Record<string, Reply> {
  const out: Record<string, Reply> = {};
  const items = Array.isArray(entry) ? entry : [];
  for (let i = 0; i + 1 < items.length; i += 2) out[String(items[i])] = items[i + 1]!;
  return out;
}

/** Sorted by name: the server lists them in hash-table order. */
function parseLibraries(reply: unknown): FunctionLibrary[] {
  const libraries = (reply as Reply[]).map((entry) => {
    const library = record(entry);
    return {
      name: String(library.library_name),
      engine: String(library.engine),
      functions: ((library.functions as Reply[] | undefined) ?? []).map((f) => String(record(f).name)),
      code: library.library_code as Buffer,
    };
  });
  return libraries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
