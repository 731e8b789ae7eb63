import redisErrors from 'redis-errors';
import { MigrationError, SourceUnavailableError, TargetUnavailableError } from '../core/errors.js';

// CommonJS package: named imports do not resolve under ESM. ioredis and redis-parser (RespPipe)
// both build their error replies from this class.
const { ReplyError } = redisErrors;

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

/** Node's codes for a server that does not speak TLS on the port (a plain-text reply to the hello). */
const NOT_TLS_CODES = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG']);

/**
 * Turns a driver or server error met while connecting or authenticating into one line that says
 * what is wrong and what to change. Never includes credentials: messages are built from the
 * address, the error code and the server's reply, none of which carry the password.
 */
export function describeConnectError(side: Side, address: string, error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  const Cls = errorClass(side);
  const failure = redisFailure(error);
  const { replyCode, socketCode, text } = failure;
  const where = `${side} ${address}`;
  const fail = (message: string, retryable = false) => new Cls(message, { cause: error, retryable });

  if (socketCode === 'ECONNREFUSED')
    return fail(
      `cannot connect to ${where}: connection refused. Check the address in ${section(side)} and that Redis is listening there`,
      true,
    );
  if (socketCode === 'ENOTFOUND' || socketCode === 'EAI_AGAIN')
    return fail(`cannot connect to ${where}: host name not found. Check the address in ${section(side)}`);
  // ioredis' own command timeout has no code, only its message.
  if (socketCode === 'ETIMEDOUT' || (replyCode === undefined && socketCode === undefined && /timed? ?out/i.test(text)))
    return fail(
      `cannot connect to ${where}: timed out. Check the address, security groups/firewall, and whether tls = true/false matches the server`,
      true,
    );
  if (socketCode !== undefined && TLS_VERIFY_CODES.has(socketCode))
    return fail(
      `TLS certificate of ${where} could not be verified (${socketCode}): set tls_ca_file in ${section(side)} to the CA that signed it ` +
        `(or tls_server_name if the name differs); tls_verify = false skips the check for self-signed test setups`,
    );
  if (socketCode !== undefined && NOT_TLS_CODES.has(socketCode))
    return fail(
      `TLS handshake with ${where} failed (${text}): the server does not speak TLS on that port; set tls = false or use its TLS port`,
    );
  return describeRefusal(failure, where, side, error) ?? describeLostHandshake(failure, where, side, error);
}

/** The server answered the handshake (AUTH, SELECT, READONLY) with an error reply. */
function describeRefusal(failure: RedisFailure, where: string, side: Side, error: unknown): MigrationError | undefined {
  const Cls = errorClass(side);
  const { replyCode, text } = failure;
  if (replyCode === 'WRONGPASS')
    return new Cls(`${where} rejected the credentials (WRONGPASS): check username and password in ${section(side)}`, { cause: error });
  if (replyCode === 'NOAUTH') return new Cls(`${where} requires a password (NOAUTH): set password in ${section(side)}`, { cause: error });
  // A server without a password answers AUTH with a plain ERR: only its text tells.
  if (replyCode === 'ERR' && /AUTH.*without any password configured|AUTH <password> called without/i.test(text))
    return new Cls(`${where} has no password set but one was given: leave password empty (password = "") in ${section(side)}`, {
      cause: error,
    });
  if (replyCode === 'NOPERM')
    return new Cls(`${where}: the user lacks a permission (${text}); grant it with ACL SETUSER, or use another user`, { cause: error });
  return undefined;
}

/** The connection ended during the handshake, or failed some other way. */
function describeLostHandshake(failure: RedisFailure, where: string, side: Side, error: unknown): MigrationError {
  const Cls = errorClass(side);
  const { socketCode, text } = failure;
  if (socketCode === CONNECTION_CLOSED || socketCode === 'ECONNRESET' || socketCode === 'EPIPE')
    return new Cls(`${where} closed the connection during the handshake: if the server expects TLS, set tls = true in ${section(side)}`, {
      cause: error,
      retryable: true,
    });
  return new Cls(`cannot use ${where}: ${text}`, { cause: error });
}

/** The reply text of a Redis error, first line only. */
export function replyText(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!;
}

/**
 * Codes a Redis error reply starts with (the server's convention: `-CODE message`). Listed for the
 * ones we act on; any other word the server sends is kept too.
 */
export type ReplyCode =
  | 'ERR'
  | 'MOVED'
  | 'ASK'
  | 'BUSYKEY'
  | 'NOPERM'
  | 'NOAUTH'
  | 'WRONGPASS'
  | 'WRONGTYPE'
  | 'OOM'
  | 'READONLY'
  | 'LOADING'
  | 'MASTERDOWN'
  | 'TRYAGAIN'
  | 'CLUSTERDOWN'
  | 'BUSY'
  | (string & {});

/** The code RespPipe (and this module, for ioredis' own message) gives a connection that closed. */
export const CONNECTION_CLOSED = 'ERR_CONNECTION_CLOSED';

/**
 * RespPipe's connection ended (the server or the network closed it, or close() was called):
 * commands in flight may or may not have run. The adapters translate it (see redisFailure).
 */
export class ConnectionClosedError extends Error {
  readonly code = CONNECTION_CLOSED;

  constructor(options?: ErrorOptions) {
    // ioredis' wording, so both clients' closed connections read the same in messages.
    super('Connection is closed.', options);
    this.name = 'ConnectionClosedError';
  }
}

/** RespPipe's connect did not finish in time; the code is node's for a connect timeout. */
export class ConnectTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number) {
    super(`connect ETIMEDOUT (no answer within ${timeoutMs / 1000} s)`);
    this.name = 'ConnectTimeoutError';
  }
}

/** What a failed command or connection says, parsed once: classify by the codes, show the text. */
export interface RedisFailure {
  /** The server's error code, the first word of its reply; only for a reply (ReplyError). */
  readonly replyCode?: ReplyCode;
  /** Node's code for a failed socket or TLS handshake (ECONNREFUSED, ECONNRESET…), or CONNECTION_CLOSED. */
  readonly socketCode?: string;
  /** The message's first line. */
  readonly text: string;
}

/** ioredis reports a connection it has closed, or cannot write to, by message only. */
const IOREDIS_CLOSED = /^(Connection is closed|Stream isn't writeable)/;

/**
 * Parses `error`: a Redis reply's code, or a socket's code. An error without either that wraps
 * another (a MigrationError with its cause) takes the codes of the error it wraps; `text` is always
 * the given error's own first line.
 */
export function redisFailure(error: unknown): RedisFailure {
  const text = replyText(error);
  return { ...codesOf(error, 0), text };
}

function codesOf(error: unknown, depth: number): Omit<RedisFailure, 'text'> {
  if (error instanceof ReplyError) {
    const code = /^[A-Z][A-Z0-9_]*(?= |$)/.exec(replyText(error))?.[0];
    return code ? { replyCode: code } : {};
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code !== '') return { socketCode: code };
  if (error instanceof Error && IOREDIS_CLOSED.test(error.message)) return { socketCode: CONNECTION_CLOSED };
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause !== undefined && depth < 8 ? codesOf(cause, depth + 1) : {};
}

/** The socket codes of a connection that broke: a command sent on it may or may not have run. */
const CONNECTION_LOSS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', CONNECTION_CLOSED]);

/** The connection broke: a command sent on it may or may not have run. */
export function isConnectionLoss(failure: RedisFailure): boolean {
  return failure.socketCode !== undefined && CONNECTION_LOSS.has(failure.socketCode);
}

/** Reply codes meaning "not now" (failover, resync, loading, a slot moving, a busy script). */
const TRANSIENT_REFUSALS = new Set<ReplyCode>(['LOADING', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'BUSY']);

/** The node refused for now (failover, resync, resharding): the command did not run; retry later. */
export function isTransientRefusal(failure: RedisFailure): boolean {
  if (failure.replyCode === undefined) return false;
  // A script's write on a replica comes back from older servers as ERR with the text only.
  return TRANSIENT_REFUSALS.has(failure.replyCode) || /can't write against a read only replica/i.test(failure.text);
}

/** MOVED or ASK: the slot is served by another node. */
export function isRedirect(failure: RedisFailure): boolean {
  return failure.replyCode === 'MOVED' || failure.replyCode === 'ASK';
}

/** The server did not run the command, and another node, or the same one later, will: a redirect or a transient refusal. */
export function isRetryableRefusal(failure: RedisFailure): boolean {
  return isRedirect(failure) || isTransientRefusal(failure);
}

/** `MOVED <slot> <host:port>` or `ASK <slot> <host:port>`, parsed. */
export function parseRedirect(failure: RedisFailure): { kind: 'MOVED' | 'ASK'; slot: number; address: string } | undefined {
  if (!isRedirect(failure)) return undefined;
  const m = /^\S+ (\d+) (\S+)$/.exec(failure.text);
  if (!m) return undefined;
  // A redirect to ":port" means "the address you used"; callers fill it in.
  return { kind: failure.replyCode as 'MOVED' | 'ASK', slot: Number(m[1]), address: m[2]! };
}
