/**
 * A test client over a real TCP socket: send raw bytes or commands, read reply lines.
 */
import { connect, type Socket } from 'node:net';

const defaultTimeoutMs = 10_000;

export class Client {
  readonly socket: Socket;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let newline = this.buffered.indexOf('\n');
      while (newline !== -1) {
        this.lines.push(this.buffered.slice(0, newline));
        this.buffered = this.buffered.slice(newline + 1);
        newline = this.buffered.indexOf('\n');
      }
      this.waiter?.();
    });
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      socket.once('connect', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw text or bytes (no newline added). */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Sends one command line and returns its reply line. */
  async request(command: string): Promise<string> {
    this.write(`${command}\n`);
    const [reply] = await this.readLines(1);
    return reply as string;
  }

  /** Sends one command and returns the parsed JSON reply. */
  async call(command: string): Promise<{ status: string; result?: string; mesg?: string }> {
    return JSON.parse(await this.request(command));
  }

  /** Resolves with the next `count` reply lines, or rejects after the timeout. */
  async readLines(count: number, timeoutMs = defaultTimeoutMs): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.closed) {
        throw new Error(`connection closed after ${this.lines.length} of ${count} lines`);
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`timed out with ${this.lines.length} of ${count} lines`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.lines.splice(0, count);
  }

  /** Lines received so far and not read (for "no reply" checks). */
  get unreadLines(): readonly string[] {
    return this.lines;
  }

  /** Text received after the last newline (a cut reply would show here). */
  get partialLine(): string {
    return this.buffered;
  }

  /** Ends our sending side; the server still answers what it got. */
  endInput(data?: string | Uint8Array): void {
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  close(): void {
    this.socket.destroy();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
