import type { EndpointConfig } from '../core/config.js';
import { connectNode } from './connect.js';
import { subscribeRefusedError } from './notify-config.js';

export interface KeyspaceSubscription {
  /** Resolves once the subscription is lost (connection closed, killed, node gone) with why; never rejects. */
  readonly lost: Promise<string>;
  /**
   * Unsubscribes and resolves once the server confirmed it: every event published before that is
   * received by then (a connection delivers in order). A follower handing over calls it before its
   * last changes are applied, so its successor (already subscribed) covers everything after.
   */
  drain(): Promise<void>;
  close(): void;
}

const KEYEVENT_PREFIX = Buffer.from('__keyevent@');

/**
 * Subscribes to one node's keyevent channels for one db (`__keyevent@<db>__:*`: the message is the
 * key, as bytes) and calls `onEvent` for each. Resolves once the server confirmed the subscription:
 * every write on that node from then on is seen, until `lost` resolves. There is no reconnect here:
 * events published while disconnected are gone, so the caller treats a loss as a gap to reconcile.
 */
export async function subscribeKeyEvents(
  endpoint: EndpointConfig,
  address: string,
  db: number,
  onEvent: (key: Buffer, event: string) => void,
): Promise<KeyspaceSubscription> {
  const client = await connectNode('source', endpoint, address);
  let closing = false;
  const lost = new Promise<string>((resolve) => {
    client.on('error', (error: Error) => resolve(`subscription to ${address} failed: ${error.message}`));
    client.on('close', () => resolve(closing ? 'closed' : `subscription to ${address} was closed by the server or the network`));
  });
  client.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer, message: Buffer) => {
    onEvent(message, eventName(channel));
  });
  try {
    await client.psubscribe(`__keyevent@${db}__:*`);
  } catch (error) {
    client.disconnect();
    // A refusal is the user's setup (no retry helps); a lost connection is retried by the caller.
    throw /NOPERM/.test(String((error as Error)?.message)) ? subscribeRefusedError(address, error) : error;
  }
  return {
    lost,
    drain: async () => {
      await client.punsubscribe(`__keyevent@${db}__:*`);
    },
    close: () => {
      closing = true;
      client.disconnect();
    },
  };
}

/** `__keyevent@0__:set` → `set`. */
function eventName(channel: Buffer): string {
  if (!channel.subarray(0, KEYEVENT_PREFIX.length).equals(KEYEVENT_PREFIX)) return '';
  const at = channel.indexOf('__:', KEYEVENT_PREFIX.length);
  return at < 0 ? '' : channel.subarray(at + 3).toString('latin1');
}
