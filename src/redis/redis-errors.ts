import { MigrationError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';

export type Side = 'source' | 'target';

const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
]);

function errorClass(side: Side) {
  return side === 'source' ? SourceUnavailableError : TargetUnavailableError;
}

/** The config keys a user edits for each side, named in fixes (redis-shake v4 names). */
function section(side: Side): string {
  return side === 'source'
    ? 'the source settings ([source] / [scan_reader] / --source)'
    : 'the target settings ([target] / [redis_writer] / --target)';
}

/**
 * Turns a driver or server error met while connecting or authenticating into one line that says
 * what is wrong and what to change. Never includes credentials: messages are built from the
 * address, the error code and the server's reply, none of which carry the password.
 */
export function describeConnectError(side: Side, address: string, error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  const Cls = errorClass(side);
  const err = error as NodeJS.ErrnoException & { message?: string };
  const code = err?.code ?? '';
  const message = String(err?.message ?? error);
  const where = `${side} ${address}`;

  if (code === 'ECONNREFUSED')
    return new Cls(
      `cannot connect to ${where}: connection refused. Check the address in ${section(side)} and that Redis is listening there`,
      { cause: error, retryable: true },
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new Cls(`cannot connect to ${where}: host name not found. Check the address in ${section(side)}`, { cause: error });
  if (code === 'ETIMEDOUT' || /connect ETIMEDOUT|timed? ?out/i.test(message))
    return new Cls(
      `cannot connect to ${where}: timed out. Check the address, security groups/firewall, and whether tls = true/false matches the server`,
      { cause: error, retryable: true },
    );
  if (TLS_VERIFY_CODES.has(code)) {
    return new Cls(
      `TLS certificate of ${where} could not be verified (${code}): set tls_ca_file in ${section(side)} to the CA that signed it (or tls_server_name if the name differs); tls_verify = false skips the check for self-signed test setups`,
      { cause: error },
    );
  }
  if (/wrong version number|packet length too long|EPROTO/i.test(message) || code === 'EPROTO')
    return new Cls(
      `TLS handshake with ${where} failed (${message}): the server does not speak TLS on that port; set tls = false or use its TLS port`,
      { cause: error },
    );
  if (/^WRONGPASS/.test(message))
    return new Cls(`${where} rejected the credentials (WRONGPASS): check username and password in ${section(side)}`, { cause: error });
  if (/^NOAUTH/.test(message)) return new Cls(`${where} requires a password (NOAUTH): set password in ${section(side)}`, { cause: error });
  if (/AUTH.*without any password configured|AUTH <password> called without/i.test(message))
    return new Cls(`${where} has no password set but one was given: leave password empty (password = "") in ${section(side)}`, {
      cause: error,
    });
  if (/^NOPERM/.test(message))
    return new Cls(`${where}: the user lacks a permission (${message.split('\n')[0]}); grant it with ACL SETUSER, or use another user`, {
      cause: error,
    });
  if (/Connection is closed|ECONNRESET|EPIPE|socket hang up/i.test(message) || code === 'ECONNRESET' || code === 'EPIPE')
    return new Cls(`${where} closed the connection during the handshake: if the server expects TLS, set tls = true in ${section(side)}`, {
      cause: error,
      retryable: true,
    });
  return new Cls(`cannot use ${where}: ${message.split('\n')[0]}`, { cause: error });
}

/** The reply text of a Redis error, first line only. */
export function replyText(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}

/** `MOVED <slot> <host:port>` or `ASK <slot> <host:port>`, parsed. */
export function parseRedirect(text: string): { kind: 'MOVED' | 'ASK'; slot: number; address: string } | undefined {
  const m = /^(MOVED|ASK) (\d+) (\S+)$/.exec(text);
  if (!m) return undefined;
  // A redirect to ":port" means "the address you used"; callers fill it in.
  return { kind: m[1] as 'MOVED' | 'ASK', slot: Number(m[2]), address: m[3]! };
}

/** The connection broke: a command sent on it may or may not have run. */
export function isConnectionLoss(text: string): boolean {
  return /Connection is closed|ECONNRESET|EPIPE|socket hang up|Stream isn't writeable|ETIMEDOUT|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/i.test(
    text,
  );
}

/** The node refused for now (failover, resync, resharding): the command did not run; retry later. */
export function isTransientRefusal(text: string): boolean {
  return /^(LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|BUSY )/.test(text) || /can't write against a read only replica/i.test(text);
}
