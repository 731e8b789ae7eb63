import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Secrets Manager's GetSecretValue served on loopback (the awsJson1_1 protocol the SDK speaks), so
 * the bundled handlers run their real SDK client and secret parsing. Nothing local serves Secrets
 * Manager; this answers that one call, and records which secrets were asked for.
 */
export interface FakeSecrets {
  endpoint: string;
  /** ARNs requested so far, in order. */
  requests: string[];
  set(arn: string, secretString: string): void;
  stop(): Promise<void>;
}

export async function startFakeSecrets(): Promise<FakeSecrets> {
  const secrets = new Map<string, string>();
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') return reply(400, { __type: 'UnknownOperationException', message: target });
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      requests.push(String(SecretId));
      const value = SecretId === undefined ? undefined : secrets.get(SecretId);
      if (value === undefined)
        return reply(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return reply(200, {
        ARN: SecretId,
        Name: SecretId!.split(':').pop(),
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_700_000_000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    set: (arn, value) => void secrets.set(arn, value),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
