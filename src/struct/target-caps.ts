import type { RedisClient } from './contracts.js';

/** What the target's command set allows, by its version. */
export interface TargetCaps {
  /** Redis ≥ 7.0: XSETID … ENTRIESADDED … MAXDELETEDID, XGROUP CREATE … ENTRIESREAD. */
  streamCounters: boolean;
  /** Redis ≥ 6.2: XGROUP CREATECONSUMER. */
  createConsumer: boolean;
}

const LATEST: TargetCaps = { streamCounters: true, createConsumer: true };
const cache = new WeakMap<object, Promise<TargetCaps>>();

/** The target's capabilities from INFO server (once per client); the newest set if INFO is refused. */
export function targetCaps(target: RedisClient): Promise<TargetCaps> {
  let caps = cache.get(target);
  if (!caps) {
    caps = target.info('server').then(capsFromInfo, () => LATEST);
    cache.set(target, caps);
  }
  return caps;
}

export function capsFromInfo(info: string): TargetCaps {
  const m = /redis_version:(\d+)\.(\d+)/.exec(info);
  if (!m) return LATEST;
  const version = Number(m[1]) * 100 + Number(m[2]);
  return { streamCounters: version >= 700, createConsumer: version >= 602 };
}
