import type { EndpointConfig } from '../core/config.js';
import { openPipe } from './connect.js';

/**
 * The round trip to a target node, in ms: the fastest of a few PINGs on one data-path connection
 * (the fastest, so a scheduling hiccup on a shared machine does not count as distance).
 */
export async function measureRoundTrip(endpoint: EndpointConfig, address: string, pings = 5): Promise<number> {
  const pipe = await openPipe('target', endpoint, address);
  try {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < pings; i++) {
      const started = performance.now();
      await pipe.send([['PING']]);
      best = Math.min(best, performance.now() - started);
    }
    return best;
  } finally {
    pipe.close();
  }
}
