import { connect, createServer, type Socket } from 'node:net';

/**
 * A loopback TCP proxy that breaks connections in the middle of a reply, as a flaky network or a
 * load balancer does: the first `cuts` connections whose replies pass `afterBytes` bytes are reset
 * there. The server behind it stays real; only the link fails.
 */
export interface CuttingProxy {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Connections cut so far. */
  cutCount(): number;
  stop(): Promise<void>;
}

export async function startCuttingProxy(upstreamPort: number, opts: { afterBytes: number; cuts: number }): Promise<CuttingProxy> {
  let cut = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    let replied = 0;
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      replied += chunk.length;
      if (cut < opts.cuts && replied > opts.afterBytes) {
        cut++;
        // Half of the chunk gets through, then the connection is reset: a body cut mid-stream.
        client.write(chunk.subarray(0, Math.floor(chunk.length / 2)), () => client.resetAndDestroy());
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`unexpected proxy address ${String(address)}`);
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    cutCount: () => cut,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
