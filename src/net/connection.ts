/**
 * One client connection: reads lines, runs them through the coordinator in order, writes the
 * replies in order, and keeps everything it holds for the client bounded.
 *
 * Reading stops (the socket is paused, so TCP pushes back on the client) while:
 * - a command must finish before the next may start (a lock wait or a COMMIT),
 * - `clientRepliesPendingMax` replies are still owed to the client,
 * - more than --client-output-soft-bytes of replies wait in the socket (a client that does
 *   not read its replies), counting the GET replies the shards may still be building at their
 *   largest possible size (the shard's bound on its largest value, ShardHandle): a pipeline
 *   of GETs of a large value is let through a few at a time, so what the server holds for one
 *   client stays near the soft limit plus one reply, however much the client pipelines. The
 *   bound shrinks again when the large values are deleted.
 * Past --client-output-hard-bytes the client is disconnected and the reason logged. Once the
 * socket is gone, commands already read but not yet run are dropped: nobody can get their
 * replies.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { clientRepliesPendingMax, droppedLineBytesPerCollection } from '../config/bounds.js';
import type { Config } from '../config/options.js';
import type { ClientSession, Coordinator } from '../coordinator/coordinator.js';
import { collectYoungGarbage } from '../coordinator/memory-guard.js';
import type { Transaction } from '../coordinator/transaction.js';
import { type Command, parseCommand } from '../protocol/command-parser.js';
import { LineSplitter, lineTooLong, type SplitLine } from '../protocol/line-splitter.js';
import { messages } from '../protocol/messages.js';
import {
  errorReplyBytes,
  okReplyBytes,
  pongReplyBytes,
  resultReplyText,
} from '../protocol/reply-format.js';
import type { ClientDescription } from '../protocol/resp-server-replies.js';
import type { PasswordCheck } from './password-check.js';
import { type ReplyMeterHook, ReplyQueue } from './reply-queue.js';
import { type RespServer, RespSession } from './resp-session.js';
import { endAndRelease } from './socket-close.js';

const authRequiredReply = errorReplyBytes(messages.authRequired);
const authInvalidReply = errorReplyBytes(messages.authInvalid);
const authNotConfiguredReply = errorReplyBytes(messages.authNotConfigured);

export interface ConnectionOptions {
  id: number;
  socket: Socket;
  config: Config;
  coordinator: Coordinator;
  /** The Redis front door's view of the server (resp-session.ts). */
  respServer: RespServer;
  /** A --resp-port connection: RESP only, inline commands included, as on a Redis port. */
  respOnly: boolean;
  /** Counts a line-protocol command (INFO's total_commands_processed, /metrics by kind). */
  onCommand: (kind: Command['kind']) => void;
  /** Times and sorts this client's replies (--metrics-port), or null. */
  replyMeter: ReplyMeterHook | null;
  /** The server's password, if it has one (SPEC.md section 10). */
  password: PasswordCheck;
  logger: Logger;
  onClose: (connection: Connection) => void;
}

export class Connection implements ClientSession {
  readonly id: number;
  readonly replies: ReplyQueue;
  transaction: Transaction | null = null;
  private readonly socket: Socket;
  private readonly config: Config;
  private readonly coordinator: Coordinator;
  private readonly logger: Logger;
  private readonly splitter: LineSplitter;
  /** The Redis front door, once the first byte said RESP (`*`), or from the start on a
   * --resp-port connection; null for the line protocol. */
  resp: RespSession | null = null;
  private protocolChosen = false;
  private readonly respServer: RespServer;
  private readonly respOnly: boolean;
  private readonly onCommand: (kind: Command['kind']) => void;
  readonly password: PasswordCheck;
  /** False until the client gives the password (true at once when there is none). */
  authenticated: boolean;
  readonly connectedAtMs = Date.now();
  lastCommandAtMs = Date.now();
  /** A command the next one must wait for. */
  private waiting = false;
  /** No more commands will be read: the client ended its input, sent QUIT, or we shut down. */
  private inputEnded = false;
  private quitting = false;
  private shuttingDown = false;
  /** Our side is ended: no command will run and no reply is owed. */
  private ended = false;
  private flushTimer: NodeJS.Timeout | null = null;
  /** The splitter's droppedBytes at the last young collection this connection asked for. */
  private droppedBytesCollected = 0;
  private readonly onFlushed = () => this.processLines();
  private readonly onResumed = () => {
    this.waiting = false;
    this.processLines();
  };

  constructor(options: ConnectionOptions) {
    this.id = options.id;
    this.socket = options.socket;
    this.config = options.config;
    this.coordinator = options.coordinator;
    this.logger = options.logger;
    this.splitter = new LineSplitter(options.config.lineBytesMax);
    this.respServer = options.respServer;
    this.respOnly = options.respOnly;
    this.onCommand = options.onCommand;
    this.password = options.password;
    this.authenticated = !options.password.required;
    this.replies = new ReplyQueue((chunks) => this.writeReplies(chunks));
    this.replies.meter = options.replyMeter;

    const socket = this.socket;
    socket.setNoDelay(true);
    if (this.config.idleTimeoutMs > 0) socket.setTimeout(this.config.idleTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.inputEnded = true;
      this.processLines();
    });
    socket.on('drain', () => this.processLines());
    socket.on('timeout', () => this.close('idle timeout (--idle-timeout-ms)'));
    socket.on('error', (error) =>
      this.logger.debug({ client: this.id, err: error }, 'client error'),
    );
    socket.on('close', () => {
      // A transaction left open is discarded: nothing of it was ever sent to a shard.
      if (this.transaction !== null) this.coordinator.discard(this.transaction);
      this.transaction = null;
      this.resp?.closed();
      this.clearFlushTimer();
      options.onClose(this);
    });
  }

  /** Shutdown: stop reading, answer what was already received, then close. */
  shutdown(): void {
    this.shuttingDown = true;
    this.processLines();
  }

  /** Closes at once (shutdown grace period over). */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    // After our side ended, input is read only to be dropped (socket-close.ts).
    if (this.ended) return;
    if (!this.protocolChosen) this.chooseProtocol(chunk);
    this.lastCommandAtMs = Date.now();
    if (this.resp !== null) {
      this.resp.parser.push(chunk);
    } else {
      this.clearFlushTimer();
      this.splitter.push(chunk);
    }
    this.processLines();
    // Dropped bytes of an over-long line are garbage V8 would let grow to ~64 MiB.
    const dropped = this.splitter.droppedBytes;
    if (dropped - this.droppedBytesCollected >= droppedLineBytesPerCollection) {
      this.droppedBytesCollected = dropped;
      collectYoungGarbage();
    }
  }

  /** One port, two protocols (SPEC.md section 7): every Redis client starts with a multibulk
   * request (`*`); anything else is the line protocol. */
  private chooseProtocol(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.protocolChosen = true;
    if (this.respOnly || chunk[0] === 0x2a) {
      this.resp = new RespSession(this, this.respServer, this.respOnly);
    }
  }

  /** Runs every complete line it may run now; stops reading when it must wait. */
  private processLines(): void {
    // Once our side is ended nothing more runs, whatever arrives (its end of input included).
    if (this.ended) return;
    let drained = false;
    while (!this.waiting && !this.quitting && !this.socket.destroyed) {
      if (!this.mayRunMore()) break;
      if (this.resp !== null) {
        const outcome = this.resp.runNext();
        if (outcome === 'none') {
          drained = true;
          break;
        }
        if (outcome === 'waits') this.waiting = true;
        else if (outcome === 'close') this.quitting = true;
        continue;
      }
      // At end of input the last line needs no `\n`: no byte can come to complete it. At
      // shutdown an unterminated line is not a command yet and is dropped.
      const lastLine = this.inputEnded && !this.shuttingDown;
      const line = this.splitter.next() ?? (lastLine ? this.splitter.takeUnterminated() : null);
      if (line === null) {
        drained = true;
        break;
      }
      this.runLine(line);
    }
    this.updateReading();
    this.endIfDone(drained);
    // Legacy framing: a partial line left now, even one read while a command was waiting,
    // starts its timer (the timer counts from the last byte or the end of the wait).
    if (drained && this.config.flushUnterminatedMs > 0 && this.splitter.hasPartialLine) {
      if (this.flushTimer === null && !this.ended) this.armFlushTimer();
    }
  }

  /** False while replies owed or unsent are at a limit (see the top of this file). One
   * command may always run when nothing is owed, so a reply larger than the soft limit still
   * goes out. */
  private mayRunMore(): boolean {
    const owed = this.replies.pendingCount;
    if (owed >= clientRepliesPendingMax) return false;
    const unsentBytes = this.socket.writableLength;
    if (unsentBytes > this.config.clientOutputSoftBytes) return false;
    if (owed === 0) return true;
    return unsentBytes + this.replies.expectedBytesPending < this.config.clientOutputSoftBytes;
  }

  private runLine(line: SplitLine): void {
    if (line === lineTooLong) {
      const message = messages.lineTooLong(this.config.lineBytesMax);
      // It may have been a write: a transaction must not commit without it (SPEC.md section 4).
      this.coordinator.doom(this, message);
      this.replies.push(errorReplyBytes(message));
      return;
    }
    const command = parseCommand(line.bytes, line.start, line.end);
    this.onCommand(command.kind);
    let waits = false;
    if (!this.authenticated && command.kind !== 'AUTH' && command.kind !== 'QUIT') {
      if (command.kind !== 'blank') this.replies.push(authRequiredReply);
      return;
    }
    switch (command.kind) {
      case 'blank':
        return;
      case 'AUTH':
        this.replies.push(
          this.authenticate(line.bytes, command.passwordStart, command.passwordEnd),
        );
        return;
      case 'error':
        if (command.isWrite === true) this.coordinator.doom(this, command.message);
        this.replies.push(errorReplyBytes(command.message));
        return;
      case 'PING':
        this.replies.push(pongReplyBytes);
        return;
      case 'QUIT':
        this.replies.push(okReplyBytes);
        this.quitting = true;
        return;
      case 'GET':
      case 'PUT':
      case 'DEL':
        waits = this.coordinator.keyCommand(this, command, line.bytes);
        break;
      case 'EXPIRE':
      case 'PEXPIRE':
      case 'PERSIST':
      case 'TTL':
      case 'PTTL':
        waits = this.coordinator.expiryCommand(this, command, line.bytes);
        break;
      case 'INFO': {
        const slot = this.replies.reserve();
        this.respServer.info(command.section, (text) => {
          const reply = Buffer.from(resultReplyText(text));
          slot.resolve(reply, 0, reply.length);
        });
        return;
      }
      case 'START':
        this.coordinator.start(this, command.serializable);
        return;
      case 'COMMIT':
        waits = this.coordinator.commit(this);
        break;
      case 'ROLLBACK':
        this.coordinator.rollback(this);
        return;
      case 'SAVE':
        waits = this.save();
        break;
      case 'DEBUG':
        waits = this.coordinator.debug(this, command);
        break;
    }
    if (waits) this.waiting = true;
  }

  /** SAVE: `{"status": "Ok"}` once the snapshot is on disk (SPEC.md section 9). The client's
   * next commands wait for it; other clients never do. */
  private save(): boolean {
    const snapshots = this.respServer.snapshots;
    if (snapshots === null) {
      this.replies.push(errorReplyBytes(messages.snapshotsOff));
      return false;
    }
    const slot = this.replies.reserve();
    void snapshots.save('SAVE').then((outcome) => {
      const reply = outcome.ok
        ? okReplyBytes
        : errorReplyBytes(messages.snapshotFailed(outcome.message));
      slot.resolve(reply, 0, reply.length);
      this.resume();
    });
    return true;
  }

  /** AUTH over the line protocol. */
  private authenticate(bytes: Buffer, start: number, end: number): Uint8Array {
    if (!this.password.required) return authNotConfiguredReply;
    if (!this.password.matches(bytes.subarray(start, end))) return authInvalidReply;
    this.authenticated = true;
    return okReplyBytes;
  }

  /** The command this client waited for has finished. The next ones run in a microtask, not
   * inside the lock release or shard answer that finished it. */
  resume(): void {
    queueMicrotask(this.onResumed);
  }

  private writeReplies(chunks: Uint8Array[]): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    let totalBytes = 0;
    for (const chunk of chunks) totalBytes += chunk.length;
    // Past the soft limit reading stops until this write is flushed. 'drain' alone would not
    // say so when the soft limit is below the socket's high-water mark (16 KiB).
    const overSoftLimit = socket.writableLength + totalBytes > this.config.clientOutputSoftBytes;
    const flushed = overSoftLimit ? this.onFlushed : undefined;
    if (chunks.length === 1) {
      socket.write(chunks[0] as Uint8Array, flushed);
    } else {
      // Large replies go out as they are, in one writev (bench/run.ts --full, 64 KiB values).
      socket.cork();
      for (let i = 0; i < chunks.length; i++) {
        socket.write(chunks[i] as Uint8Array, i === chunks.length - 1 ? flushed : undefined);
      }
      socket.uncork();
    }
    if (socket.writableLength > this.config.clientOutputHardBytes) {
      this.logger.warn(
        { client: this.id, unsentBytes: socket.writableLength },
        'client closed: unread replies passed --client-output-hard-bytes',
      );
      socket.destroy();
      return;
    }
    // Replies going out may be what reading was waiting for (it was paused), or what closing
    // was waiting for. A client reading and running as it should has nothing left to run: its
    // last pass ended because no whole line was left (one pass per command less, P=1).
    if (this.socket.isPaused() || this.quitting || this.inputEnded || this.shuttingDown) {
      this.processLines();
    }
  }

  /** Reads only while a next command could run at once. */
  private updateReading(): void {
    const socket = this.socket;
    if (this.ended) return;
    const shouldRead = !this.waiting && !this.quitting && !this.shuttingDown && this.mayRunMore();
    if (shouldRead && socket.isPaused()) socket.resume();
    else if (!shouldRead && !socket.isPaused()) socket.pause();
  }

  /** Closes once no command can come and every reply has been handed to the socket. */
  private endIfDone(drained: boolean): void {
    if (this.waiting || this.replies.pendingCount > 0) return;
    const done = this.quitting || (drained && (this.inputEnded || this.shuttingDown));
    if (!done || this.ended) return;
    this.ended = true;
    this.clearFlushTimer();
    endAndRelease(this.socket);
  }

  /** Legacy framing (--flush-unterminated-ms): a partial line left alone this long since its
   * last byte is taken as a command. */
  private armFlushTimer(): void {
    this.clearFlushTimer();
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      // At shutdown an unterminated line is not a command (SPEC.md section 5).
      if (this.quitting || this.shuttingDown || this.ended) return;
      if (this.waiting) return this.armFlushTimer();
      const line = this.splitter.takeUnterminated();
      if (line !== null) this.runLine(line);
      this.processLines();
    }, this.config.flushUnterminatedMs);
  }

  private clearFlushTimer(): void {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? ''}:${this.socket.remotePort ?? 0}`;
  }

  private close(reason: string): void {
    this.logger.debug({ client: this.id, reason }, 'client closed');
    this.socket.destroy();
  }
}

/** CLIENT LIST's view of a connection. */
export function describeClient(connection: Connection): ClientDescription {
  const now = Date.now();
  const resp = connection.resp;
  return {
    id: connection.id,
    address: connection.remoteAddress,
    name: resp?.name ?? '',
    ageSeconds: Math.floor((now - connection.connectedAtMs) / 1000),
    idleSeconds: Math.floor((now - connection.lastCommandAtMs) / 1000),
    resp: resp?.resp3 === true ? 3 : 2,
    inMulti: resp?.inMulti ?? connection.transaction !== null,
    libName: resp?.libName ?? '',
    libVersion: resp?.libVersion ?? '',
    lastCommand: resp?.lastCommand ?? 'NULL',
  };
}
