import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import redisErrors from 'redis-errors';
import RedisParser from 'redis-parser';
import { InternalError } from '../core/errors.js';
import { ConnectionClosedError, ConnectTimeoutError } from './redis-errors.js';
import { type CommandArgs, encodeCommands } from './resp-encode.js';

// CommonJS package: named imports do not resolve under ESM.
const { ReplyError } = redisErrors;
type ReplyError = InstanceType<typeof ReplyError>;

/** A reply: bulk bytes, an integer, nil, an array, or the server's error (returned, not thrown). */
export type RespReply = Buffer | number | null | RespReply[] | ReplyError;

export interface RespPipeOptions {
  host: string;
  port: number;
  tls?: ConnectionOptions;
  username?: string;
  password?: string;
  db?: number;
  /** Send READONLY, to SCAN and DUMP on a cluster replica. */
  readOnly?: boolean;
  connectTimeoutMs?: number;
}

interface Pending {
  expected: number;
  replies: RespReply[];
  resolve: (replies: RespReply[]) => void;
  reject: (error: Error) => void;
}

/**
 * The copy's data path: one plain socket speaking RESP2, many commands written as one buffer,
 * replies parsed by `redis-parser` straight into Buffers. ioredis stays in charge of discovery,
 * probing and everything else; profiling showed its per-command objects and promises costing most
 * of the client CPU per key, which on two cores decides the throughput.
 */
export class RespPipe {
  private readonly pending: Pending[] = [];
  private readonly parser: RedisParser;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    this.parser = new RedisParser({
      returnBuffers: true,
      returnReply: (reply: RespReply) => this.deliver(reply),
      returnError: (error: ReplyError) => this.deliver(error),
      returnFatalError: (error: Error) => this.fail(error),
    });
    socket.on('data', (chunk: Buffer) => this.parser.execute(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new ConnectionClosedError()));
  }

  /** Connects, authenticates, selects the db and (for replicas) sends READONLY. */
  static async open(options: RespPipeOptions): Promise<RespPipe> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = options.tls
        ? tlsConnect({ ...options.tls, host: options.host, port: options.port })
        : netConnect({ host: options.host, port: options.port });
      const ready = options.tls ? 'secureConnect' : 'connect';
      const timeoutMs = options.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(() => s.destroy(new ConnectTimeoutError(timeoutMs)), timeoutMs);
      s.once(ready, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    socket.setNoDelay(true);
    const pipe = new RespPipe(socket);
    const hello: CommandArgs[] = [];
    if (options.password) hello.push(options.username ? ['AUTH', options.username, options.password] : ['AUTH', options.password]);
    if (options.db) hello.push(['SELECT', options.db]);
    if (options.readOnly) hello.push(['READONLY']);
    if (hello.length > 0) {
      const replies = await pipe.send(hello);
      const error = replies.find((r) => r instanceof ReplyError);
      if (error) {
        pipe.close();
        throw error;
      }
    }
    return pipe;
  }

  /** Sends the commands in one write; resolves with one reply per command, in order. */
  send(commands: readonly CommandArgs[]): Promise<RespReply[]> {
    return this.sendEncoded(encodeCommands(commands), commands.length);
  }

  /** Sends pre-encoded commands (see resp-encode.ts). */
  sendEncoded(payload: Buffer, count: number): Promise<RespReply[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ expected: count, replies: [], resolve, reject });
      this.socket.write(payload);
    });
  }

  close(): void {
    this.failure ??= new ConnectionClosedError();
    this.socket.end();
    this.socket.destroy();
  }

  private deliver(reply: RespReply): void {
    const head = this.pending[0];
    if (!head) {
      this.fail(new InternalError('a Redis reply arrived with no command pending'));
      return;
    }
    head.replies.push(reply);
    if (head.replies.length === head.expected) {
      this.pending.shift();
      head.resolve(head.replies);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.splice(0)) p.reject(error);
    this.socket.destroy();
  }
}

export type { ReplyError as RespReplyError };
export { ReplyError };
