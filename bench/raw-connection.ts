import { connect, type Socket } from 'node:net';
import { RespParser, type RespReply } from './resp.js';

interface Pending {
  replies: RespReply[];
  expected: number;
  resolve: (replies: RespReply[]) => void;
  reject: (error: Error) => void;
}

/**
 * A bare socket speaking RESP: send a block of pre-encoded commands, get their replies back as one
 * array. This is the "lean path" the ioredis reader is compared with: no command objects, no
 * per-command promises, bulk replies are views into the received chunks.
 */
export class RawConnection {
  private readonly parser = new RespParser();
  private readonly queue: Pending[] = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** Writes `payload` (holding `count` commands) and resolves with their `count` replies in order. */
  send(payload: Buffer, count: number): Promise<RespReply[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ replies: [], expected: count, resolve, reject });
      this.socket.write(payload);
    });
  }

  close(): void {
    this.failure ??= new Error('connection closed by the bench');
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.parser.feed(chunk);
    for (;;) {
      const reply = this.parser.next();
      if (reply === RespParser.INCOMPLETE) return;
      const head = this.queue[0];
      if (!head) {
        this.fail(new Error('reply without a pending request'));
        return;
      }
      head.replies.push(reply);
      if (head.replies.length === head.expected) {
        this.queue.shift();
        head.resolve(head.replies);
      }
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.queue.splice(0)) p.reject(error);
  }
}
