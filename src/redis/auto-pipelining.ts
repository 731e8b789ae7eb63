import { Command } from 'ioredis';
import type { ClientTuning } from './connect.js';

type NodeClient = { options: { enableAutoPipelining?: boolean }; sendCommand(command: Command): unknown; callBuffer: unknown };

/**
 * Settings for a node connection that sends many single-key commands at once (verification):
 * with auto-pipelining, each tick's commands go out in one write instead of one socket write per
 * command, which otherwise costs most of the client's CPU. Not for a Cluster client: ioredis
 * computes an auto-pipelined command's slot from the key as a string, wrong for binary keys.
 */
export const AUTO_PIPELINING: ClientTuning = { enableAutoPipelining: true };

/**
 * ioredis 6.0.0 drops the command name of `callBuffer(name, …args)` when auto-pipelining is on
 * (it restores it for `call` only: ioredis issue #1923), so `callBuffer('SCAN', …)` would reach
 * the server as `0 COUNT …`. On a client created with AUTO_PIPELINING, this sends `callBuffer`
 * commands directly instead; the typed commands (type, pttl, dumpBuffer, …) keep being pipelined.
 * Returns the client.
 */
export function fixCallBuffer<T extends NodeClient>(client: T): T {
  if (!client.options.enableAutoPipelining) return client;
  client.callBuffer = (name: string, ...args: (string | Buffer | number)[]) =>
    client.sendCommand(new Command(name, args, { replyEncoding: null }));
  return client;
}
