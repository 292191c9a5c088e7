/**
 * One RESP connection for the snapshot bench: sends commands, pipelined, and resolves each
 * with its reply. It reads the replies the bench asks for (simple strings, errors, integers and
 * bulk strings; no arrays), which is all of INFO, MSET, BGSAVE, DBSIZE and PING. Not a hot path
 * that is measured: it fills the keyspace and asks questions between measurements.
 */
import { connect, type Socket } from 'node:net';
import { respCommand } from '../protocols/resp.js';

export type LinkReply = string | number | null | Error;

export class RespLink {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly waiting: Array<(reply: LinkReply) => void> = [];
  private failure: Error | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(host: string, port: number): Promise<RespLink> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => resolve(new RespLink(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends one command; resolves with its reply (an Error for an error reply). */
  call(...words: string[]): Promise<LinkReply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(respCommand(...words));
    });
  }

  /** Like call, but an error reply rejects. */
  async ok(...words: string[]): Promise<string | number | null> {
    const reply = await this.call(...words);
    if (reply instanceof Error) throw new Error(`${words[0]}: ${reply.message}`);
    return reply;
  }

  /** INFO's field `name`, as text. */
  async info(section: string, name: string): Promise<string> {
    const text = String(await this.ok('INFO', section));
    const match = new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(text);
    if (match?.[1] === undefined) throw new Error(`INFO ${section} has no ${name}`);
    return match[1];
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    for (;;) {
      const parsed = parseReply(this.buffered);
      if (parsed === null) return;
      this.buffered = this.buffered.subarray(parsed.end);
      this.waiting.shift()?.(parsed.reply);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const resolve of this.waiting.splice(0)) resolve(error);
  }
}

function parseReply(bytes: Buffer): { reply: LinkReply; end: number } | null {
  const lineEnd = bytes.indexOf('\r\n');
  if (lineEnd === -1) return null;
  const line = bytes.toString('latin1', 1, lineEnd);
  switch (bytes[0]) {
    case 0x2b: // +
      return { reply: line, end: lineEnd + 2 };
    case 0x2d: // -
      return { reply: new Error(line), end: lineEnd + 2 };
    case 0x3a: // :
      return { reply: Number(line), end: lineEnd + 2 };
    case 0x24: {
      // $
      const length = Number(line);
      if (length < 0) return { reply: null, end: lineEnd + 2 };
      const end = lineEnd + 2 + length + 2;
      if (bytes.length < end) return null;
      return { reply: bytes.toString('latin1', lineEnd + 2, end - 2), end };
    }
    default:
      throw new Error(`reply type ${String.fromCharCode(bytes[0] ?? 0)} is not read here`);
  }
}
