import type { EndpointConfig } from '../core/config.js';
import { clusterSeeds, discoverCluster } from './cluster-topology.js';
import { openPipe, parseAddress } from './connect.js';
import type { Side } from './redis-errors.js';

/** The address in a MOVED/ASK reply; ":port" (an unknown endpoint) means the host that replied. */
export function redirectAddress(address: string, repliedFrom: string): string {
  return address.startsWith(':') ? `${parseAddress(repliedFrom).host}${address}` : address;
}

import { SLOT_COUNT } from './key-slot.js';
import type { RespPipe } from './resp-pipe.js';
import { canWait } from './restore-pipeline.js';

/**
 * The target cluster's slot map and one data pipe per master. Writes are routed by key slot; a
 * MOVED reply updates one slot at once (`learn`), and `refresh` re-reads the whole layout from any
 * reachable node (single-flight, so concurrent per-node writes trigger one read). Opened on the
 * source side it routes reads (existence checks) to the source masters the same way.
 */
export class ClusterRouter {
  private owners: (string | undefined)[] = new Array(SLOT_COUNT);
  private readonly pipes = new Map<string, Promise<RespPipe>>();
  private refreshing: Promise<void> | undefined;
  private readonly seen = new Set<string>();
  private mastersNow: string[] = [];
  private readonly replicaCount = new Map<string, number>();
  /** Set when the user may not run WAIT: writes are then not acknowledged by replicas. */
  waitRefused: string | undefined;

  private constructor(
    private readonly endpoint: EndpointConfig,
    private readonly note: (message: string) => void,
    private readonly side: Side,
  ) {}

  static async open(endpoint: EndpointConfig, note: (message: string) => void = () => {}, side: Side = 'target'): Promise<ClusterRouter> {
    const router = new ClusterRouter(endpoint, note, side);
    await router.refresh();
    const first = router.masters()[0];
    // Writes only: a source router never writes, so whether replicas acknowledge does not matter.
    if (first && side === 'target') {
      router.waitRefused = await canWait(await router.pipe(first));
      if (router.waitRefused)
        note(
          `target ${first}: WAIT refused (${router.waitRefused}); writes are not confirmed ` +
            `by replicas, so a crash failover of a target master may lose its last writes: run verify afterwards`,
        );
    }
    return router;
  }

  ownerOf(slot: number): string | undefined {
    return this.owners[slot];
  }

  /** A MOVED reply: `slot` now lives at `address`. */
  learn(slot: number, address: string): void {
    this.owners[slot] = address;
  }

  /** Healthy replicas of a master (per the last layout read): how many WAIT asks for. */
  replicasOf(address: string): number {
    return this.waitRefused ? 0 : (this.replicaCount.get(address) ?? 0);
  }

  masters(): string[] {
    return [...new Set(this.owners.filter((a): a is string => a !== undefined))];
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const notes: string[] = [];
    const topology = await discoverCluster(this.side, this.endpoint, clusterSeeds(this.side, this.endpoint, this.mastersNow), notes);
    for (const message of notes) {
      if (!this.seen.has(message)) this.note(message);
      this.seen.add(message);
    }
    const owners: (string | undefined)[] = new Array(SLOT_COUNT);
    for (const shard of topology.shards) {
      if (!shard.master.healthy) continue;
      this.replicaCount.set(shard.master.address, shard.replicas.filter((r) => r.healthy).length);
      for (const [start, end] of shard.slots) for (let s = start; s <= end; s++) owners[s] = shard.master.address;
    }
    const before = this.mastersNow;
    this.owners = owners;
    this.mastersNow = this.masters();
    const gone = before.filter((a) => !this.mastersNow.includes(a));
    const added = this.mastersNow.filter((a) => !before.includes(a));
    if (before.length > 0 && (gone.length > 0 || added.length > 0)) {
      this.note(
        `${this.side} cluster layout changed: masters ${gone.join(', ') || '-'} out, ${added.join(', ') || '-'} in; ` +
          `${this.side === 'target' ? 'writes' : 'reads'} follow the new layout`,
      );
    }
    for (const address of gone) this.drop(address);
  }

  /** The data pipe to one node, opened on first use (db 0: a cluster has no other). */
  pipe(address: string): Promise<RespPipe> {
    let pipe = this.pipes.get(address);
    if (!pipe) {
      pipe = openPipe(this.side, this.endpoint, address, 0);
      this.pipes.set(address, pipe);
      pipe.catch(() => this.pipes.delete(address));
    }
    return pipe;
  }

  /** Forgets a node's pipe (after its connection failed); the next use reconnects. */
  drop(address: string): void {
    const pipe = this.pipes.get(address);
    this.pipes.delete(address);
    pipe?.then(
      (p) => p.close(),
      () => {},
    );
  }

  async close(): Promise<void> {
    const all = [...this.pipes.values()];
    this.pipes.clear();
    await Promise.allSettled(all.map((p) => p.then((pipe) => pipe.close())));
  }
}
