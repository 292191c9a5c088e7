/**
 * One client connection in a closed loop: it keeps `pipeline` commands in flight (the C load
 * generator's -P: a transaction's START, PUTs and COMMIT are each one), and each time replies
 * arrive it checks them, records one op and its latency per reply, and sends as many new
 * commands as were answered, all in one write. The clock is read once per chunk received, not
 * per reply, and that reading is both the end time of the commands the chunk answers and the
 * start time of the commands sent in answer; a batch of replies costs one read, one write and
 * one clock call. A connection that closes or breaks counts what it had in flight as errors
 * and ends its run.
 */
import { connect, type Socket } from 'node:net';
import { InFlightQueue } from './in-flight-queue.js';
import type { Keyspace } from './keyspace.js';
import type { ProtocolCodec } from './protocols/codec.js';
import { ReplyKind, type ReplyParser, replyKindName } from './protocols/reply.js';
import type { ThreadStats } from './thread-stats.js';
import type { CommandSink, Workload } from './workloads.js';

const SAMPLE_BYTES_MAX = 120;
const READ_BUFFER_BYTES = 64 * 1024;

export interface LoadConnectionOptions {
  host: string;
  port: number;
  codec: ProtocolCodec;
  keyspace: Keyspace;
  stats: ThreadStats;
  /** Deepest pipeline this connection will ever run (fill depth or -P), in commands. */
  pipelineMax: number;
  /** Sent with AUTH before the load starts (a server with --requirepass); null: none. */
  password: string | null;
}

export class LoadConnection implements CommandSink {
  private readonly parser: ReplyParser;
  private readonly queue: InFlightQueue;
  private workload: Workload | null = null;
  private pipeline = 1;
  private stopping = false;
  private exhausted = false;
  private closed = false;
  private batch = '';
  private nowMs = 0;
  private finishRun: (() => void) | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly options: LoadConnectionOptions,
  ) {
    this.parser = options.codec.createParser(this.onReply);
    this.queue = new InFlightQueue(options.pipelineMax);
    socket.on('close', this.onClose);
    socket.on('error', (error) => this.failInFlight(`connection error: ${error.message}`));
  }

  static open(options: LoadConnectionOptions): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      let connection: LoadConnection | null = null;
      /** The AUTH reply read so far, before the connection is handed out. */
      let authReply = '';
      const ready = () => {
        connection = new LoadConnection(socket, options);
        resolve(connection);
      };
      // onread reads into one reused buffer instead of a fresh Buffer and a stream event per
      // read; the parsers copy the few bytes they must keep past the call.
      const socket = connect({
        host: options.host,
        port: options.port,
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (bytes: number, buffer: Uint8Array) => {
            if (connection !== null) {
              connection.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
              return true;
            }
            authReply += Buffer.from(buffer.buffer, buffer.byteOffset, bytes).toString('latin1');
            if (!authReply.includes('\n')) return true;
            const accepted = authReply === '+OK\r\n' || authReply === '{"status": "Ok"}\n';
            if (accepted) ready();
            else reject(new Error(`AUTH refused: ${authReply.trim()}`));
            return true;
          },
        },
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const password = options.password;
        if (password === null) {
          ready();
          return;
        }
        socket.write(
          options.codec.name === 'haus'
            ? `AUTH ${password}\n`
            : `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(password)}\r\n${password}\r\n`,
        );
      });
    });
  }

  /** Runs `workload` with `pipeline` commands in flight until it is exhausted or stopped. */
  run(workload: Workload, pipeline: number): Promise<void> {
    if (pipeline > this.options.pipelineMax) throw new RangeError('pipeline above pipelineMax');
    this.workload = workload;
    this.pipeline = pipeline;
    this.stopping = false;
    this.exhausted = false;
    return new Promise((resolve) => {
      this.finishRun = resolve;
      this.nowMs = performance.now();
      this.refill();
    });
  }

  /** Sends nothing more (past the current transaction); ends once the replies are in. */
  stop(): void {
    this.stopping = true;
    this.maybeFinish();
  }

  close(): void {
    this.socket.end();
  }

  add(command: string, expected: ReplyKind, check: number, endsTx: boolean): void {
    this.batch += command;
    this.queue.push(expected, check, this.nowMs, endsTx);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.nowMs = performance.now();
    this.parser.push(chunk);
    if (this.parser.broken) {
      this.socket.destroy();
      return;
    }
    this.refill();
  };

  private readonly onReply = (kind: ReplyKind, buf: Buffer, start: number, end: number) => {
    const { stats, keyspace } = this.options;
    if (this.queue.size === 0) {
      stats.recordError(() => `reply with no command in flight: ${sample(buf, start, end)}`);
      return;
    }
    const expected = this.queue.headExpected();
    const check = this.queue.headCheck();
    const sentAt = this.queue.headSentAt();
    const endsTx = this.queue.headEndsTx();
    this.queue.shift();
    const right =
      kind === expected &&
      (expected !== ReplyKind.Value || keyspace.isValueOf(check, buf, start, end)) &&
      (expected !== ReplyKind.ArrayOk || check < 0 || isCount(buf, start, end, check));
    if (!right) {
      stats.recordError(
        () =>
          `expected ${replyKindName(expected)}${checkedAgainst(expected, check)}, ` +
          `got ${replyKindName(kind)}: ${sample(buf, start, end)}`,
      );
    } else if (endsTx) {
      stats.recordTransaction();
    }
    stats.recordOp(this.nowMs - sentAt);
  };

  private refill(): void {
    const workload = this.workload;
    if (workload === null || this.closed) return;
    while (
      !this.exhausted &&
      this.queue.size < this.pipeline &&
      (!this.stopping || workload.midUnit)
    ) {
      if (!workload.nextCommand(this)) this.exhausted = true;
    }
    if (this.batch.length > 0) {
      this.socket.write(this.batch);
      this.batch = '';
    }
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.finishRun === null) return;
    const unitOpen = this.workload?.midUnit === true;
    const done = this.exhausted || (this.stopping && !unitOpen);
    if (this.closed || (this.queue.size === 0 && done)) {
      const finish = this.finishRun;
      this.finishRun = null;
      this.workload = null;
      finish();
    }
  }

  private readonly onClose = (): void => {
    this.failInFlight('connection closed by the server');
  };

  /** The server will never answer what is in flight: each such command is one error. */
  private failInFlight(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    const lost = this.queue.size;
    for (let i = 0; i < lost; i += 1) {
      this.options.stats.recordError(() => `${reason} (${lost} commands unanswered)`);
      this.queue.shift();
    }
    this.maybeFinish();
  }
}

/** `buf[start, end)` holds exactly the decimal digits of `count` (an ArrayOk's range). */
function isCount(buf: Buffer, start: number, end: number, count: number): boolean {
  let rest = count;
  for (let pos = end - 1; pos >= start; pos -= 1) {
    if (buf[pos] !== 0x30 + (rest % 10)) return false;
    rest = Math.floor(rest / 10);
  }
  return rest === 0 && end > start;
}

function checkedAgainst(expected: ReplyKind, check: number): string {
  if (check < 0) return '';
  return expected === ReplyKind.ArrayOk ? ` of ${check} OKs` : ` for key ${check}`;
}

function sample(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, Math.min(end, start + SAMPLE_BYTES_MAX));
  return end - start > SAMPLE_BYTES_MAX ? `${text}...` : text;
}
