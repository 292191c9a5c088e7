/**
 * A raw RESP client over a real TCP socket, for tests that must see exactly what a server sent:
 * the reply's type (a simple string `+OK` is not the bulk string `$2\r\nOK`), the exact error
 * text, RESP3's own types, and the bytes themselves (`readRaw`). Client libraries hide all of
 * that, so the protocol tests use this.
 *
 * Replies map to plain values that `assert.deepEqual` compares exactly:
 * bulk string → string (or Buffer with `{ bulk: 'buffer' }`), integer → number (bigint past
 * 2^53), null bulk / null array / RESP3 null → null, array → array, simple string → `Simple`,
 * error → `RespError`, RESP3 map → Map, set → Set, double → `Double`, boolean → boolean,
 * verbatim → `Verbatim`, big number → bigint, push → `Push`.
 *
 * Every read has a timeout (5 s by default), and bytes that are not RESP fail every waiting read
 * at once, so a server that does not answer, or answers something else, fails the test instead
 * of hanging the run.
 */
import { connect, type Socket } from 'node:net';

export const replyTimeoutMs = 5_000;

export class Simple {
  constructor(readonly value: string) {}
}
export class RespError {
  constructor(readonly message: string) {}
}
export class Double {
  constructor(readonly value: number) {}
}
export class Verbatim {
  constructor(
    readonly format: string,
    readonly text: string,
  ) {}
}
export class Push {
  constructor(readonly items: Reply[]) {}
}

export type Reply =
  | string
  | Buffer
  | number
  | bigint
  | boolean
  | null
  | Reply[]
  | Simple
  | RespError
  | Double
  | Verbatim
  | Push
  | Map<Reply, Reply>
  | Set<Reply>;

export const simple = (value: string) => new Simple(value);
export const error = (message: string) => new RespError(message);
export const OK = simple('OK');
export const QUEUED = simple('QUEUED');
export const PONG = simple('PONG');

export type Arg = string | number | bigint | Buffer;

/** One request in RESP's multibulk form, as every client library sends it. */
export function encodeCommand(args: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

type BulkAs = 'string' | 'buffer';
type Parsed = { value: Reply; end: number } | { needBytes: number };

class NotResp extends Error {}

/**
 * Parses one reply starting at `start`. When the buffer ends first, says how many bytes in all
 * it needs at least, so a 16 MiB bulk string is not re-parsed on every packet.
 */
export function parseReply(buffer: Buffer, start: number, bulkAs: BulkAs): Parsed {
  const lineEnd = buffer.indexOf('\r\n', start + 1);
  if (lineEnd === -1) return { needBytes: buffer.length + 1 };
  const type = String.fromCharCode(buffer[start] as number);
  const line = buffer.toString('latin1', start + 1, lineEnd);
  const next = lineEnd + 2;
  const text = () => buffer.toString('utf8', start + 1, lineEnd);
  switch (type) {
    case '+':
      return { value: new Simple(text()), end: next };
    case '-':
      return { value: new RespError(text()), end: next };
    case ':':
      return { value: integer(line), end: next };
    case '_':
      return { value: null, end: next };
    case '#':
      return { value: line === 't', end: next };
    case ',':
      return { value: new Double(double(line)), end: next };
    case '(':
      return { value: BigInt(line), end: next };
    case '$':
    case '!':
    case '=':
      return parseBlob(buffer, type, Number(line), next, bulkAs);
    case '*':
    case '~':
    case '>':
    case '%':
    case '|':
      return parseAggregate(buffer, type, Number(line), next, bulkAs);
    default:
      throw new NotResp(
        `not a RESP reply: ${JSON.stringify(buffer.toString('latin1', start, start + 200))}`,
      );
  }
}

function integer(text: string): number | bigint {
  const value = BigInt(text);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

function double(text: string): number {
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function parseBlob(
  buffer: Buffer,
  type: string,
  length: number,
  start: number,
  bulkAs: BulkAs,
): Parsed {
  if (length === -1) return { value: null, end: start };
  const end = start + length + 2;
  if (buffer.length < end) return { needBytes: end };
  const bytes = buffer.subarray(start, start + length);
  if (type === '!') return { value: new RespError(bytes.toString('utf8')), end };
  if (type === '=') {
    const text = bytes.toString('utf8');
    return { value: new Verbatim(text.slice(0, 3), text.slice(4)), end };
  }
  return { value: bulkAs === 'buffer' ? Buffer.from(bytes) : bytes.toString('utf8'), end };
}

function parseAggregate(
  buffer: Buffer,
  type: string,
  count: number,
  start: number,
  bulkAs: BulkAs,
): Parsed {
  if (count === -1) return { value: null, end: start };
  const itemCount = type === '%' || type === '|' ? count * 2 : count;
  const items: Reply[] = [];
  let position = start;
  for (let i = 0; i < itemCount; i += 1) {
    const parsed = parseReply(buffer, position, bulkAs);
    if ('needBytes' in parsed) return parsed;
    items.push(parsed.value);
    position = parsed.end;
  }
  if (type === '*') return { value: items, end: position };
  if (type === '~') return { value: new Set(items), end: position };
  if (type === '>') return { value: new Push(items), end: position };
  const map = new Map<Reply, Reply>();
  for (let i = 0; i < items.length; i += 2) map.set(items[i] as Reply, items[i + 1] as Reply);
  if (type === '%') return { value: map, end: position };
  // An attribute (`|`) annotates the reply that follows it: tests look at that reply.
  return parseReply(buffer, position, bulkAs);
}

export interface RespClientOptions {
  /** Bulk strings as UTF-8 text (default) or as Buffers, for binary values. */
  bulk?: BulkAs;
  host?: string;
}

interface Frame {
  value: Reply;
  raw: Buffer;
}

export class RespClient {
  readonly socket: Socket;
  private readonly bulkAs: BulkAs;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private neededBytes = 1;
  private readonly frames: Frame[] = [];
  private failure: Error | null = null;
  private waiter: (() => void) | null = null;
  private closed = false;
  readonly whenClosed: Promise<void>;

  private constructor(socket: Socket, bulkAs: BulkAs) {
    this.socket = socket;
    this.bulkAs = bulkAs;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.waiter?.();
        resolve();
      }),
    );
  }

  static connect(port: number, options: RespClientOptions = {}): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: options.host ?? '127.0.0.1', noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to port ${port} in ${replyTimeoutMs} ms`));
      }, replyTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RespClient(socket, options.bulk ?? 'string'));
      });
      socket.once('error', (cause) => {
        clearTimeout(timer);
        reject(cause);
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < this.neededBytes || this.failure !== null) return;
    let buffer = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
    try {
      for (;;) {
        const parsed = parseReply(buffer, 0, this.bulkAs);
        if ('needBytes' in parsed) {
          this.neededBytes = parsed.needBytes;
          break;
        }
        this.frames.push({ value: parsed.value, raw: buffer.subarray(0, parsed.end) });
        buffer = buffer.subarray(parsed.end);
        this.neededBytes = 1;
        if (buffer.length === 0) break;
      }
    } catch (cause) {
      this.failure = cause instanceof Error ? cause : new Error(String(cause));
    }
    this.chunks = buffer.length === 0 ? [] : [buffer];
    this.bufferedBytes = buffer.length;
    this.waiter?.();
  }

  /** Writes raw bytes (nothing added). */
  write(data: string | Uint8Array): void {
    this.socket.write(data);
  }

  /** Sends one command without waiting for its reply (pipelining). */
  send(...args: Arg[]): void {
    this.socket.write(encodeCommand(args));
  }

  /** Sends one command and resolves with its reply. */
  async call(...args: Arg[]): Promise<Reply> {
    this.send(...args);
    return this.read();
  }

  /** Sends one command and resolves with the exact bytes of its reply, as latin1 text. */
  async callRaw(...args: Arg[]): Promise<string> {
    this.send(...args);
    return (await this.readRaw()).toString('latin1');
  }

  /** Sends all commands in one write and resolves with their replies, in order. */
  async pipeline(commands: readonly Arg[][], timeoutMs = replyTimeoutMs): Promise<Reply[]> {
    this.socket.write(Buffer.concat(commands.map((command) => encodeCommand(command))));
    return this.readMany(commands.length, timeoutMs);
  }

  async read(timeoutMs = replyTimeoutMs): Promise<Reply> {
    return (await this.nextFrame(timeoutMs)).value;
  }

  async readRaw(timeoutMs = replyTimeoutMs): Promise<Buffer> {
    return (await this.nextFrame(timeoutMs)).raw;
  }

  async readMany(count: number, timeoutMs = replyTimeoutMs): Promise<Reply[]> {
    const deadline = Date.now() + timeoutMs;
    const replies: Reply[] = [];
    while (replies.length < count) {
      replies.push(await this.read(Math.max(1, deadline - Date.now())));
    }
    return replies;
  }

  private async nextFrame(timeoutMs: number): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.failure !== null) throw this.failure;
      if (this.closed) throw new Error(`connection closed before a reply${this.pendingText()}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        // Replies on this connection are out of step from here on: later reads fail at once
        // instead of each waiting out its own timeout (or taking a late reply for theirs).
        this.failure = new Error(`an earlier reply on this connection did not come in time`);
        throw new Error(`no reply in ${timeoutMs} ms${this.pendingText()}`);
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
  }

  private pendingText(): string {
    if (this.bufferedBytes === 0) return '';
    const head = Buffer.concat(this.chunks).toString('latin1', 0, 200);
    return ` (unparsed bytes: ${JSON.stringify(head)})`;
  }

  /** True once the server closed the connection; waits at most `timeoutMs` for it. */
  async closesWithin(timeoutMs = replyTimeoutMs): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.whenClosed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Replies received and not read yet (for "no further reply" checks). */
  get unreadReplies(): number {
    return this.frames.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connects `count` clients at once. */
export function connectMany(
  port: number,
  count: number,
  options: RespClientOptions = {},
): Promise<RespClient[]> {
  return Promise.all(Array.from({ length: count }, () => RespClient.connect(port, options)));
}

/** Rejects when `promise` does not settle in time, naming what was awaited. */
export async function withTimeout<T>(
  promise: Promise<T>,
  what: string,
  timeoutMs = replyTimeoutMs,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
