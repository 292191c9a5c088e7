/**
 * One RESP connection that sends commands already encoded and reports each reply's kind, in
 * order, for the eviction bench's loads (cache-aside GET and SET, a GET/SET mix). It frames
 * simple strings, errors, integers and bulk strings (a GET's nil among them); the commands it
 * carries get no other replies. Small on purpose: a client that costs little CPU leaves more of
 * the shared cores to the servers it measures.
 */
import { connect, type Socket } from 'node:net';

export const ReplyKind = { ok: 0, nil: 1, bulk: 2, error: 3, integer: 4 } as const;
export type ReplyKind = (typeof ReplyKind)[keyof typeof ReplyKind];

/** A command as RESP bytes. */
export function encode(...words: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${words.length}\r\n`)];
  for (const word of words) {
    const bytes = typeof word === 'string' ? Buffer.from(word, 'latin1') : word;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class ReplyStream {
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(kind: ReplyKind, error?: string) => void> = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<ReplyStream> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => resolve(new ReplyStream(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends `commands` (one write) and resolves with their reply kinds, and error texts. */
  send(commands: Buffer, count: number): Promise<{ kinds: ReplyKind[]; errors: string[] }> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const kinds: ReplyKind[] = [];
      const errors: string[] = [];
      for (let i = 0; i < count; i++) {
        this.waiting.push((kind, error) => {
          if (this.failure !== null) {
            reject(this.failure);
            return;
          }
          kinds.push(kind);
          if (error !== undefined) errors.push(error);
          if (kinds.length === count) resolve({ kinds, errors });
        });
      }
      this.socket.write(commands);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      const lineEnd = bytes.indexOf('\r\n', at);
      if (lineEnd === -1) break;
      const type = bytes[at];
      let end = lineEnd + 2;
      let kind: ReplyKind;
      let error: string | undefined;
      if (type === 0x2b) {
        kind = ReplyKind.ok;
      } else if (type === 0x2d) {
        kind = ReplyKind.error;
        error = bytes.toString('latin1', at + 1, lineEnd);
      } else if (type === 0x3a) {
        kind = ReplyKind.integer;
      } else if (type === 0x24) {
        const length = Number(bytes.toString('latin1', at + 1, lineEnd));
        if (length < 0) {
          kind = ReplyKind.nil;
        } else {
          end = lineEnd + 2 + length + 2;
          if (end > bytes.length) break;
          kind = ReplyKind.bulk;
        }
      } else {
        this.fail(new Error(`unexpected reply type ${String.fromCharCode(type ?? 0)}`));
        return;
      }
      at = end;
      this.waiting.shift()?.(kind, error);
    }
    bytes = bytes.subarray(at);
    this.pending = bytes.length === 0 ? Buffer.alloc(0) : Buffer.from(bytes);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter(ReplyKind.error, error.message);
  }
}
