import { connect, createServer, type Socket } from 'node:net';
import type { Endpoint } from './ceilings.js';

/**
 * Fallback for (e) where the kernel has no netem: a loopback TCP proxy that holds every chunk for
 * half the round-trip time in each direction, in order. It costs CPU on the bench machine, so the
 * report compares it with the same proxy at 0 ms rather than with the direct loopback row.
 */
export interface DelayProxy {
  readonly kind: 'proxy';
  readonly host: string;
  readonly port: number;
  setRtt(rttMs: number): void;
  stop(): Promise<void>;
}

export async function startDelayProxy(upstream: Endpoint): Promise<DelayProxy> {
  let oneWayMs = 0;
  const sockets = new Set<Socket>();

  /** Forwards `from` → `to`, each chunk released `oneWayMs` after it arrived, never reordered. */
  const forward = (from: Socket, to: Socket) => {
    const queue: { due: number; chunk: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const release = () => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) to.write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(release, Math.max(0, queue[0]!.due - now));
    };
    from.on('data', (chunk: Buffer) => {
      if (oneWayMs === 0 && queue.length === 0) {
        to.write(chunk);
        return;
      }
      queue.push({ due: performance.now() + oneWayMs, chunk });
      timer ??= setTimeout(release, oneWayMs);
    });
    from.on('close', () => {
      if (timer) clearTimeout(timer);
      to.destroy();
    });
  };

  const server = createServer((client) => {
    const upstreamSocket = connect(upstream.port, upstream.host);
    for (const s of [client, upstreamSocket]) {
      s.setNoDelay(true);
      s.on('error', () => s.destroy());
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    }
    forward(client, upstreamSocket);
    forward(upstreamSocket, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no port');

  return {
    kind: 'proxy',
    host: '127.0.0.1',
    port: address.port,
    setRtt(rttMs) {
      oneWayMs = rttMs / 2;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
