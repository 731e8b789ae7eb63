import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { grantCovers } from './template-machine.js';

/**
 * Secrets Manager's GetSecretValue served on loopback (the awsJson1_1 protocol the SDK speaks), so
 * the bundled handlers run their real SDK client and secret parsing. Nothing local serves Secrets
 * Manager; this answers that one call from values held in memory, refuses a secret the deployed
 * functions would not be allowed to read (as IAM would), and records which secrets were asked for.
 */
export interface LocalSecrets {
  endpoint: string;
  /** ARNs requested so far, in order. */
  requests: string[];
  /** Sets a secret's text (the bare password, or JSON {"password", "username"}). */
  set(arn: string, secretString: string): void;
  stop(): Promise<void>;
}

export interface LocalSecretsOptions {
  /** IAM resource patterns the functions may read (see TemplateMachine.secretGrants); absent: any. */
  grants?: string[];
}

function reply(res: ServerResponse, status: number, payload: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(payload));
}

export async function startLocalSecrets(options: LocalSecretsOptions = {}): Promise<LocalSecrets> {
  const secrets = new Map<string, string>();
  const requests: string[] = [];
  const allowed = (arn: string) => !options.grants || options.grants.some((g) => grantCovers(g, arn));
  const answer = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'secretsmanager.GetSecretValue') return reply(res, 400, { __type: 'UnknownOperationException', message: target });
    const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
    requests.push(String(SecretId));
    if (SecretId === undefined || !allowed(SecretId))
      return reply(res, 400, {
        __type: 'AccessDeniedException',
        message:
          `not authorized to perform: secretsmanager:GetSecretValue on resource: ${SecretId} ` +
          'because no identity-based policy allows it',
      });
    const value = secrets.get(SecretId);
    if (value === undefined)
      return reply(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
    return reply(res, 200, {
      ARN: SecretId,
      Name: SecretId.split(':').pop(),
      SecretString: value,
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_700_000_000,
    });
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    set: (arn, value) => void secrets.set(arn, value),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
