/**
 * The coordinator: runs each client's commands against the shards, and commits transactions
 * atomically across shards with two-phase locking.
 *
 * It owns the shard handles, the lock table and every open transaction (through the clients'
 * sessions). Its promises:
 * - Single commands go to their key's shard in arrival order; a command on a key locked by a
 *   commit in flight waits for that commit (lock-table.ts), so no client ever sees half of it.
 * - PUT and DEL inside a transaction are buffered in the session; GET reads them first.
 * - COMMIT locks the write set in the global order, sends each shard its part, and releases the
 *   locks only when every shard has acknowledged. If a shard fails first, the parts the other
 *   shards applied are undone (each shard keeps an undo record until told to forget it) before
 *   the locks are released: a commit is all or nothing.
 * - A COMMIT that would take the server past --max-memory is refused as a whole before any part
 *   is sent.
 *
 * Everything here runs on the main thread; the shards never wait on each other.
 */

import { argsOf } from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import type { Config } from '../config/options.js';
import type { ShardStats } from '../net/info-sections.js';
import type { ReplyQueue } from '../net/reply-queue.js';
import { isUtf8Range } from '../protocol/byte-ranges.js';
import type {
  DebugCommand,
  ExpiryCommand,
  KeyCommand,
  PutCommand,
} from '../protocol/command-parser.js';
import { messages } from '../protocol/messages.js';
import {
  errorReplyBytes,
  okReplyBytes,
  resultReplyFrameBytes,
  resultReplyText,
} from '../protocol/reply-format.js';
import { arrayElements, integerOf } from '../protocol/resp-reply-reader.js';
import type { OpSink } from '../shards/batch-builder.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode } from '../shards/shard-messages.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { AtomicRun } from './atomic-run.js';
import { CommandRunner, type WatchedKey, type WatchSet } from './command-runner.js';
import { runCommit } from './commit.js';
import { bufferExpiryCommand, sendExpiryCommand } from './line-expiry.js';
import { compareLockOrder, LockTable } from './lock-table.js';
import { MemoryGuard } from './memory-guard.js';
import { type BufferedWrite, bufferedWrite, Transaction } from './transaction.js';

/** What the coordinator needs of a client. */
export interface ClientSession {
  /** Unique among connected clients: the watcher id of its WATCH or START SERIALIZABLE. */
  readonly id: number;
  readonly replies: ReplyQueue;
  transaction: Transaction | null;
  /** Called once when a command that made the client wait (see Waits) has finished. */
  resume(): void;
}

/** True when the client must wait for this command before its next one runs (a lock wait, a
 * commit): the coordinator then calls `session.resume()` once it has finished. A callback
 * rather than a promise per command: one fewer promise, closure and reaction job per
 * transaction (bench/run.ts, the transaction mix). */
export type Waits = boolean;

const keyNotFoundReply = errorReplyBytes(messages.keyNotFound);
const invalidUtf8Reply = errorReplyBytes(messages.invalidUtf8);
/** Transaction ids wrap below this (see Coordinator.nextTxId). */
const txIdMax = 2 ** 31 - 1;

export class Coordinator {
  readonly locks = new LockTable();
  readonly memory: MemoryGuard;
  /** Redis commands of the shared model (command-runner.ts). */
  readonly runner: CommandRunner;
  private readonly shards: readonly ShardHandle[];
  private readonly router: ShardRouter;
  private readonly config: Config;
  /** Kept in 1 .. 2^31 - 1: ids travel in int32 fields (lock owners, shard rows), and 0 means
   * no transaction. Only commits in flight need distinct ids. */
  private nextTxId = 1;
  /** COMMITs applied, and START SERIALIZABLE COMMITs that lost to a write (src/metrics/). */
  commitsApplied = 0;
  commitConflicts = 0;

  constructor(options: { shards: readonly ShardHandle[]; router: ShardRouter; config: Config }) {
    this.shards = options.shards;
    this.router = options.router;
    this.config = options.config;
    this.memory = new MemoryGuard({
      limitBytes: options.config.dataMemoryBytesMax,
      policy: options.config.evictionPolicy,
      shards: this.shards,
      onFull: () => {
        for (const shard of this.shards) {
          shard.batch.addControlOp(OpCode.collectGarbage, 0, 0, null);
          shard.scheduleFlush();
        }
      },
    });
    this.runner = new CommandRunner({
      shards: this.shards,
      router: this.router,
      locks: this.locks,
      memory: this.memory,
      takeTxId: () => this.takeTxId(),
    });
  }

  /** Every shard's counters (INFO), in shard order. */
  shardStats(done: (stats: ShardStats[]) => void): void {
    const stats: ShardStats[] = [];
    let unanswered = this.shards.length;
    const noArgs = argsOf([]);
    this.shards.forEach((shard, index) => {
      const answered = (reply: Buffer | null) => {
        const numbers = reply === null ? [] : arrayElements(reply).map((n) => integerOf(n) ?? 0);
        stats[index] = {
          keys: numbers[0] ?? 0,
          volatileKeys: numbers[1] ?? 0,
          expiredKeys: numbers[2] ?? 0,
          hits: numbers[3] ?? 0,
          misses: numbers[4] ?? 0,
          largestReplyBytes: numbers[5] ?? 0,
          heapBytes: numbers[6] ?? 0,
          evictedKeys: numbers[7] ?? 0,
          dataBytes: numbers[8] ?? 0,
          averageTtlMs: numbers[9] ?? 0,
          batches: shard.batchesSent,
        };
        if (--unanswered === 0) done(stats);
      };
      shard.batch.addCommandOp(CommandCode.stats, false, noArgs, 0, 0, {
        resolve: (bytes, start, end) =>
          answered(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start)),
        reject: () => answered(null),
      });
      shard.scheduleFlush();
    });
  }

  /** GET, PUT or DEL: buffered in the open transaction, else sent to the key's shard. The
   * command's offsets point into `source` (the bytes its line arrived in). */
  keyCommand(session: ClientSession, command: KeyCommand | PutCommand, source: Buffer): Waits {
    const { keyStart, keyEnd } = command;
    const stripe = this.router.stripeOf(source, keyStart, keyEnd);
    const shard = this.router.shardOfStripe(stripe);
    const transaction = session.transaction;
    if (transaction !== null) {
      if (transaction.watch !== null)
        this.watchFirstTouch(transaction, command, source, shard, stripe);
      if (this.transactionCommand(session, transaction, command, source, shard, stripe)) {
        return false;
      }
    }
    if (command.kind === 'PUT') {
      const cost = MemoryGuard.estimate(command.valueEnd - keyStart, 1);
      if (this.memory.wouldExceed(cost)) {
        session.replies.push(errorReplyBytes(messages.memoryFull(this.memory.limitBytes)));
        return false;
      }
      this.memory.noteWrite(cost);
    }
    const slot = session.replies.reserve();
    let replyBytes = 0;
    if (command.kind === 'GET') {
      // Lets the connection stop reading before the shards format more replies than the
      // client can take (connection.ts), even for a pipeline of GETs of a large value.
      const handle = this.shards[shard] as ShardHandle;
      replyBytes = handle.largestValueBytesBound() + resultReplyFrameBytes;
      session.replies.expectLastReplyBytes(replyBytes);
    }
    // Fast path (bench/run.ts): a free stripe needs no look at the key.
    if (this.locks.isStripeHeld(stripe) || this.locks.isGated) {
      const key = { stripe, keyId: source.toString('latin1', keyStart, keyEnd) };
      if (this.locks.isLocked(key) || this.locks.isGated) {
        this.locks.waitUntilFree(key, () => {
          this.sendKeyCommand(shard, command, source, slot, replyBytes);
          session.resume();
        });
        return true;
      }
    }
    this.sendKeyCommand(shard, command, source, slot, replyBytes);
    return false;
  }

  /** EXPIRE, PEXPIRE, PERSIST, TTL, PTTL (line-expiry.ts); like keyCommand for locks. */
  expiryCommand(session: ClientSession, command: ExpiryCommand, source: Buffer): Waits {
    const { keyStart, keyEnd } = command;
    if (!isUtf8Range(source, keyStart, keyEnd)) {
      if (command.kind !== 'TTL' && command.kind !== 'PTTL')
        this.doom(session, messages.invalidUtf8);
      session.replies.push(invalidUtf8Reply);
      return false;
    }
    const stripe = this.router.stripeOf(source, keyStart, keyEnd);
    const shard = this.router.shardOfStripe(stripe);
    const key = Buffer.from(source.subarray(keyStart, keyEnd));
    const place = { shard, stripe, keyId: key.toString('latin1'), key };
    const handle = this.shards[shard] as ShardHandle;
    const transaction = session.transaction;
    if (transaction !== null) {
      if (transaction.watch !== null) {
        this.watchFirstTouch(transaction, command, source, shard, stripe);
      }
      if (bufferExpiryCommand(session, transaction, command, place, handle, this.config)) {
        return false;
      }
    }
    if (this.locks.isStripeHeld(stripe) || this.locks.isGated) {
      if (this.locks.isLocked(place) || this.locks.isGated) {
        this.locks.waitUntilFree(place, () => {
          sendExpiryCommand(session, command, place, handle);
          session.resume();
        });
        return true;
      }
    }
    sendExpiryCommand(session, command, place, handle);
    return false;
  }

  start(session: ClientSession, serializable: boolean): void {
    if (session.transaction !== null) {
      session.replies.push(errorReplyBytes(messages.transactionAlreadyOpen));
      return;
    }
    const watch = serializable
      ? { watcher: session.id, keys: new Map(), shardFailures: [], closed: false }
      : null;
    session.transaction = new Transaction(watch);
    session.replies.push(okReplyBytes);
  }

  rollback(session: ClientSession): void {
    if (session.transaction === null) {
      session.replies.push(errorReplyBytes(messages.noTransaction('ROLLBACK')));
      return;
    }
    this.discard(session.transaction);
    session.transaction = null;
    session.replies.push(okReplyBytes);
  }

  /** A transaction ends without COMMIT (ROLLBACK, its connection closing): its watches end. */
  discard(transaction: Transaction): void {
    const watch = transaction.watch;
    if (watch === null) return;
    // A serializable COMMIT still waiting for its locks must then fail, not run unchecked.
    watch.closed = true;
    if (watch.keys.size > 0) this.runner.unwatch(watch);
  }

  /** A write refused inside a transaction (bad input, a line too long) dooms it. */
  doom(session: ClientSession, reason: string): void {
    const transaction = session.transaction;
    if (transaction !== null) transaction.doomedBy ??= reason;
  }

  /** START SERIALIZABLE: the shard watches a key from the transaction's first GET, PUT or DEL
   * of it, sent before that command so the shard sees the watch first. */
  private watchFirstTouch(
    transaction: Transaction,
    command: KeyCommand | PutCommand | ExpiryCommand,
    source: Buffer,
    shard: number,
    stripe: number,
  ): void {
    const watch = transaction.watch as WatchSet;
    const keyId = source.toString('latin1', command.keyStart, command.keyEnd);
    if (watch.keys.has(keyId)) return;
    // The shards hold what a transaction watches: bounded like its writes.
    if (watch.keys.size >= this.config.txWritesMax) {
      transaction.doomedBy ??= messages.txWatchLimit(this.config.txWritesMax);
      return;
    }
    const bytes = Buffer.from(source.subarray(command.keyStart, command.keyEnd));
    watch.keys.set(keyId, { keyId, stripe, shard, bytes });
    this.runner.sendWatches(watch, new Map([[shard, [bytes]]]), null);
  }

  /** Ends the transaction either way: a failed COMMIT applied nothing and the client starts
   * again with START (SPEC.md section 4). */
  commit(session: ClientSession): Waits {
    const transaction = session.transaction;
    if (transaction === null) {
      session.replies.push(errorReplyBytes(messages.noTransaction('COMMIT')));
      return false;
    }
    session.transaction = null;
    if (transaction.doomedBy !== null) {
      this.discard(transaction);
      session.replies.push(errorReplyBytes(messages.commitDoomed(transaction.doomedBy)));
      return false;
    }
    const watch = transaction.watch;
    if (transaction.writes.size === 0 && (watch === null || watch.keys.size === 0)) {
      this.commitsApplied++;
      session.replies.push(okReplyBytes);
      return false;
    }
    // A commit of only DELs frees memory: it goes through on a full server, like DEL.
    const cost = MemoryGuard.estimate(transaction.bytes, transaction.writes.size);
    if (transaction.hasPuts && this.memory.wouldExceed(cost)) {
      this.discard(transaction);
      session.replies.push(errorReplyBytes(messages.commitMemoryFull(this.memory.limitBytes)));
      return false;
    }
    this.memory.noteWrite(cost);
    const slot = session.replies.reserve();
    const txId = this.takeTxId();
    const writes = transaction.writesInLockOrder();
    runCommit({
      txId,
      writes,
      locks: this.locks,
      shards: this.shards,
      serializable: watch === null ? undefined : this.serializableCheck(txId, writes, watch),
      done: (outcome) => {
        if (watch !== null) this.runner.unwatch(watch);
        let reply = okReplyBytes;
        if ('failedShard' in outcome) {
          reply = errorReplyBytes(messages.commitShardFailed(outcome.failedShard));
        } else if ('conflictKey' in outcome) {
          this.commitConflicts++;
          const key = Buffer.from(outcome.conflictKey, 'latin1').toString('utf8');
          reply = errorReplyBytes(messages.commitConflict(key));
        } else {
          this.commitsApplied++;
        }
        slot.resolve(reply, 0, reply.length);
        session.resume();
      },
    });
    return true;
  }

  /** START SERIALIZABLE's COMMIT locks the watched keys too, and asks their shards, under
   * those locks, whether any changed since the transaction first touched it. */
  private serializableCheck(txId: number, writes: readonly BufferedWrite[], watch: WatchSet) {
    const keys = new Map<string, WatchedKey | BufferedWrite>();
    for (const write of writes) keys.set(write.keyId, write);
    for (const key of watch.keys.values()) if (!keys.has(key.keyId)) keys.set(key.keyId, key);
    const lockKeys = [...keys.values()].sort(compareLockOrder);
    return {
      lockKeys,
      validate: (checked: (changedKey: string | undefined) => void) => {
        const run = new AtomicRun(this.shards, txId, false);
        this.runner.checkWatches(run, watch, (changed, key) => {
          run.finish(() => checked(changed ? (key ?? '') : undefined));
        });
      },
    };
  }

  private takeTxId(): number {
    const txId = this.nextTxId;
    this.nextTxId = txId === txIdMax ? 1 : txId + 1;
    return txId;
  }

  /** DEBUG commands, for tests only (--enable-debug-commands). */
  debug(session: ClientSession, command: DebugCommand): Waits {
    const [verb, argument, ms] = command.words;
    if (!this.config.debugCommands) {
      session.replies.push(errorReplyBytes(messages.debugDisabled));
    } else if (verb?.toUpperCase() === 'LOCKS' && argument === undefined) {
      session.replies.push(Buffer.from(resultReplyText(String(this.locks.size))));
    } else if (verb?.toUpperCase() === 'CRASH-SHARD' && argument !== undefined) {
      const shard = this.debugShard(session, argument);
      if (shard === null) return false;
      shard.batch.addControlOp(OpCode.crash, 70, 0, session.replies.reserve());
      shard.scheduleFlush();
    } else if (
      verb?.toUpperCase() === 'STALL-SHARD' &&
      argument !== undefined &&
      /^\d{1,5}$/.test(ms ?? '')
    ) {
      const shard = this.debugShard(session, argument);
      if (shard === null) return false;
      shard.batch.addControlOp(OpCode.stall, Number(ms), 0, session.replies.reserve());
      shard.scheduleFlush();
    } else {
      session.replies.push(errorReplyBytes(messages.debugUsage));
    }
    return false;
  }

  /** The shard a DEBUG command names, or null after replying that there is none. */
  private debugShard(session: ClientSession, index: string): ShardHandle | null {
    const shard = this.shards[Number(index)];
    if (!/^\d+$/.test(index) || shard === undefined) {
      session.replies.push(errorReplyBytes(messages.noSuchShard(this.shards.length)));
      return null;
    }
    return shard;
  }

  /** Resolves when no batch is queued or in flight on any shard. */
  async whenShardsIdle(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.whenIdle()));
  }

  stop(): void {
    this.memory.stop();
  }

  /** `replyBytes`: for a GET, what its reply may take (the shard's bound when it was read). */
  private sendKeyCommand(
    shard: number,
    command: KeyCommand | PutCommand,
    source: Buffer,
    sink: OpSink,
    replyBytes: number,
  ): void {
    const handle = this.shards[shard] as ShardHandle;
    const { keyStart, keyEnd } = command;
    if (command.kind === 'PUT') {
      const { valueStart, valueEnd } = command;
      handle
        .batchFor(keyEnd - keyStart + valueEnd - valueStart, 0)
        .addPutOp(OpCode.put, source, keyStart, keyEnd, valueStart, valueEnd, sink);
    } else {
      const code = command.kind === 'GET' ? OpCode.get : OpCode.del;
      handle.batchFor(keyEnd - keyStart, replyBytes).addKeyOp(code, source, keyStart, keyEnd, sink);
    }
    handle.scheduleFlush();
  }

  /**
   * Inside a transaction: buffers a PUT or DEL, or answers a GET from the transaction's own
   * writes. Returns false for a GET of a key the transaction did not write: that one reads the
   * latest committed value like any GET, waiting for a commit that holds the key's lock.
   */
  private transactionCommand(
    session: ClientSession,
    transaction: Transaction,
    command: KeyCommand | PutCommand,
    source: Buffer,
    shard: number,
    stripe: number,
  ): boolean {
    const { keyStart, keyEnd } = command;
    const keyId = source.toString('latin1', keyStart, keyEnd);
    if (command.kind === 'GET') {
      const buffered = transaction.read(keyId);
      // An expiry change alone buffers no value: the committed one is read.
      if (buffered === undefined || buffered.onlyExpiry) return false;
      if (buffered.isDel) {
        session.replies.push(keyNotFoundReply);
      } else {
        const value = buffered.bytes.toString('utf8', buffered.keyBytes);
        session.replies.push(Buffer.from(resultReplyText(value)));
      }
      return true;
    }
    const isPut = command.kind === 'PUT';
    const writeEnd = isPut ? command.valueEnd : keyEnd;
    // One check covers key and value: the separator between them is ASCII, so no character
    // can span it, and a sequence cut short at either end is invalid either way.
    if (!isUtf8Range(source, keyStart, writeEnd)) {
      transaction.doomedBy ??= messages.invalidUtf8;
      session.replies.push(invalidUtf8Reply);
      return true;
    }
    // Buffered writes live in this process's memory until COMMIT: they count against the limit
    // like stored ones, or many open transactions could outgrow it.
    const keyBytes = keyEnd - keyStart;
    const valueBytes = isPut ? command.valueEnd - command.valueStart : 0;
    const cost = MemoryGuard.estimate(keyBytes + valueBytes, 1);
    if (isPut && this.memory.wouldExceed(cost)) {
      const message = messages.memoryFull(this.memory.limitBytes);
      transaction.doomedBy ??= message;
      session.replies.push(errorReplyBytes(message));
      return true;
    }
    // A DEL buffers no value (bufferedWrite's -1).
    const valueStart = isPut ? command.valueStart : -1;
    const valueEnd = isPut ? command.valueEnd : -1;
    const write = bufferedWrite(source, keyStart, keyEnd, valueStart, valueEnd, {
      shard,
      stripe,
      keyId,
    });
    const result = transaction.buffer(write, this.config);
    if (result === 'writesLimit') {
      const message = messages.txWritesLimit(this.config.txWritesMax);
      transaction.doomedBy ??= message;
      session.replies.push(errorReplyBytes(message));
    } else if (result === 'bytesLimit') {
      const message = messages.txBytesLimit(this.config.txBytesMax);
      transaction.doomedBy ??= message;
      session.replies.push(errorReplyBytes(message));
    } else {
      if (isPut) this.memory.noteWrite(cost);
      session.replies.push(okReplyBytes);
    }
    return true;
  }
}
