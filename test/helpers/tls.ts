import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Files for a TLS-only test server, plus an unrelated CA for negative tests. */
export interface TlsMaterial {
  /** Temp dir holding every file below. */
  dir: string;
  /** Test CA certificate (PEM). Clients trusting this accept the server. */
  caFile: string;
  /** Server certificate signed by the test CA; SAN = IP:127.0.0.1, DNS:localhost. */
  certFile: string;
  /** Server private key (PEM, unencrypted). */
  keyFile: string;
  /** Certificate of a second, unrelated CA: clients trusting only this must fail. */
  wrongCaFile: string;
  /** Removes `dir`. Idempotent. */
  cleanup(): Promise<void>;
}

// One explicit config so the result does not depend on the distro's
// openssl.cnf (whose default extensions differ and can clash with -addext).
// Node's verifier insists on CA:TRUE + keyCertSign on the CA and on a SAN
// matching the host it dialled (127.0.0.1), hence the explicit sections.
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no

[dn]
CN = redis-ferry-test

[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[v3_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

// Short-lived on purpose: these are throwaway test credentials.
const DAYS = '2';

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}

// EC P-256: generation is instant, unlike RSA, which keeps suites fast.
function genKey(out: string, cwd: string): Promise<void> {
  return openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out], cwd);
}

async function makeCa(name: string, cn: string, cwd: string): Promise<string> {
  await genKey(`${name}.key`, cwd);
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-config',
      'openssl.cnf',
      '-extensions',
      'v3_ca',
      '-key',
      `${name}.key`,
      '-sha256',
      '-days',
      DAYS,
      '-subj',
      `/CN=${cn}`,
      '-out',
      `${name}.crt`,
    ],
    cwd,
  );
  return join(cwd, `${name}.crt`);
}

/**
 * Generates, with the openssl CLI (execFile, no shell), a test CA, a server
 * key + certificate signed by it, and a second unrelated "wrong" CA.
 */
export async function makeTlsMaterial(): Promise<TlsMaterial> {
  const dir = await mkdtemp(join(tmpdir(), 'redis-ferry-tls-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
    const [caFile, wrongCaFile] = await Promise.all([
      makeCa('ca', 'redis-ferry test CA', dir),
      makeCa('wrong-ca', 'redis-ferry WRONG CA', dir),
      genKey('server.key', dir),
    ]);
    await openssl(['req', '-new', '-config', 'openssl.cnf', '-key', 'server.key', '-subj', '/CN=localhost', '-out', 'server.csr'], dir);
    // Random serial instead of -CAcreateserial: no serial file to manage.
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        'server.csr',
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        `0x${randomBytes(8).toString('hex')}`,
        '-sha256',
        '-days',
        DAYS,
        '-extfile',
        'openssl.cnf',
        '-extensions',
        'v3_server',
        '-out',
        'server.crt',
      ],
      dir,
    );
    return {
      dir,
      caFile,
      certFile: join(dir, 'server.crt'),
      keyFile: join(dir, 'server.key'),
      wrongCaFile,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
