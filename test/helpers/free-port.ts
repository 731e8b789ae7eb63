import { createServer } from 'node:net';

/**
 * Asks the kernel for an unused TCP port on 127.0.0.1.
 *
 * The port is released before it is returned, so another process can grab it
 * in between (TOCTOU). Callers that launch servers must therefore be ready to
 * retry with a fresh port when the bind fails (startRedis does).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected listen address: ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
