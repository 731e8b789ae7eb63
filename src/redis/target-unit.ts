import type { EndpointConfig } from '../core/config.js';
import type { ScanPage, TargetUnitDescriptor } from '../core/contracts.js';
import { TargetUnavailableError } from '../core/errors.js';
import { formatKey } from '../core/key-format.js';
import { clusterSeeds, discoverCluster } from './cluster-topology.js';
import { openPipe } from './connect.js';
import { nodeState, parseInfo } from './info.js';
import { formatRanges, keySlot, SLOT_COUNT, type SlotRange, slotCount, slotSet } from './key-slot.js';
import { isConnectionLoss, isRetryableRefusal, redisFailure } from './redis-errors.js';
import { encodeKeyCommands } from './resp-encode.js';
import { ReplyError, type RespPipe, type RespReply } from './resp-pipe.js';
import { resolveSentinel } from './sentinel-resolve.js';

export interface TargetScanOptions {
  count: number;
  match?: string;
  type?: string;
}

/** A target unit's node, opened on its db: walked with SCAN, its keys' TTLs read, keys deleted. */
export interface OpenedTargetUnit {
  /** One SCAN (the selection's MATCH and TYPE); keys of slots outside the unit are left out. */
  scan(cursor: string): Promise<ScanPage>;
  /** PTTL of each key, in order (-2: gone, -1: no expiry). */
  ttls(keys: Buffer[]): Promise<number[]>;
  /** DEL of each key, pipelined; returns the keys that were deleted (not those gone meanwhile). */
  del(keys: Buffer[]): Promise<Buffer[]>;
  /** The node and its process: a SCAN cursor means nothing on another process. */
  node: { address: string; identity: string };
  close(): Promise<void>;
}

/**
 * Finds the node that holds a target unit's keys now (the planned address, the sentinels' master,
 * or the cluster master serving the unit's slots, so a failover is followed) and opens a pipe
 * SELECTed on the unit's db.
 */
export async function openTargetUnit(
  endpoint: EndpointConfig,
  unit: TargetUnitDescriptor,
  options: TargetScanOptions,
): Promise<OpenedTargetUnit> {
  const address = await unitNode(endpoint, unit);
  const pipe = await openPipe('target', endpoint, address, unit.targetDb);
  try {
    const [reply] = await pipe.send([['INFO', 'server']]);
    const runId = reply instanceof ReplyError ? 'unknown' : nodeState(parseInfo(String(reply))).runId || 'unknown';
    return targetUnitOn(pipe, address, `${address} run ${runId}`, unit.slots, options);
  } catch (error) {
    pipe.close();
    throw wrap(address, 'INFO', error);
  }
}

async function unitNode(endpoint: EndpointConfig, unit: TargetUnitDescriptor): Promise<string> {
  if (endpoint.topology === 'sentinel') return (await resolveSentinel('target', endpoint)).master;
  if (!unit.slots) return unit.targetAddress;
  const notes: string[] = [];
  const topology = await discoverCluster('target', endpoint, clusterSeeds('target', endpoint, [unit.targetAddress]), notes);
  const inUnit = slotSet(unit.slots);
  const owners = topology.shards.filter((shard) => shard.slots.some(([a, b]) => anySlot(a, b, inUnit)));
  const covered = slotSet(owners.flatMap((shard) => shard.slots));
  if (unit.slots.some(([a, b]) => !allSlots(a, b, covered)) || owners.some((o) => !o.master.healthy)) {
    throw new TargetUnavailableError(
      `target cluster: slots ${formatRanges(unit.slots)} have no healthy master right now (failover in progress?); retrying`,
      { retryable: true },
    );
  }
  if (owners.length > 1) {
    throw new TargetUnavailableError(
      `target cluster was resharded: slots ${formatRanges(unit.slots)} of unit ${unit.id} are now served by ` +
        `${owners.length} masters (${owners.map((o) => o.master.address).join(', ')}); start over with --fresh`,
    );
  }
  return owners[0]!.master.address;
}

function anySlot(a: number, b: number, has: (slot: number) => boolean): boolean {
  for (let s = a; s <= b; s++) if (has(s)) return true;
  return false;
}

function allSlots(a: number, b: number, has: (slot: number) => boolean): boolean {
  for (let s = a; s <= b; s++) if (!has(s)) return false;
  return true;
}

const PTTL = [['PTTL']];
const DEL = [['DEL']];

function targetUnitOn(
  pipe: RespPipe,
  address: string,
  identity: string,
  slots: SlotRange[] | undefined,
  options: TargetScanOptions,
): OpenedTargetUnit {
  // A node serving more slots than the unit (shards merged by a failover) holds other units' keys too.
  const inUnit = slots && slotCount(slots) < SLOT_COUNT ? slotSet(slots) : undefined;
  const scanArgs = [
    ...(options.match ? ['MATCH', options.match] : []),
    'COUNT',
    options.count,
    ...(options.type ? ['TYPE', options.type] : []),
  ];
  const send = async (name: string, run: () => Promise<RespReply[]>): Promise<RespReply[]> => {
    try {
      return await run();
    } catch (error) {
      throw wrap(address, name, error);
    }
  };
  const perKey = async (name: string, commands: string[][], keys: Buffer[]): Promise<RespReply[]> => {
    if (keys.length === 0) return [];
    const replies = await send(name, () => pipe.sendEncoded(encodeKeyCommands(commands, keys), keys.length));
    const bad = replies.findIndex((r) => r instanceof ReplyError);
    if (bad >= 0) throw wrap(address, `${name} of key ${formatKey(keys[bad]!)}`, replies[bad]);
    return replies;
  };
  return {
    node: { address, identity },
    async scan(cursor) {
      const [reply] = await send('SCAN', () => pipe.send([['SCAN', cursor, ...scanArgs]]));
      if (reply instanceof ReplyError) throw wrap(address, 'SCAN', reply);
      const [next, keys] = reply as [Buffer, Buffer[]];
      return { cursor: next.toString(), keys: inUnit ? keys.filter((k) => inUnit(keySlot(k))) : keys };
    },
    async ttls(keys) {
      return (await perKey('PTTL', PTTL, keys)) as number[];
    },
    async del(keys) {
      const replies = await perKey('DEL', DEL, keys);
      return keys.filter((_, i) => (replies[i] as number) > 0);
    },
    close: async () => pipe.close(),
  };
}

/** A target failure as one line; lost connections and refusals for now are retryable. */
function wrap(address: string, what: string, error: unknown): TargetUnavailableError {
  if (error instanceof TargetUnavailableError) return error;
  const failure = redisFailure(error);
  const hint = failure.replyCode === 'NOPERM' ? '; grant it (ACL SETUSER <user> +scan +pttl +del ~*) or use another user' : '';
  // A reply not meaning "not now" is a refusal for good; anything else (a lost connection) is worth another attempt.
  const retryable = !(error instanceof ReplyError) || isConnectionLoss(failure) || isRetryableRefusal(failure);
  return new TargetUnavailableError(`target ${address}: ${what} failed: ${failure.text}${hint}`, { cause: error, retryable });
}
