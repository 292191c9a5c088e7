/**
 * One shard thread. It alone owns its ShardStore: piscina would hand a task to any idle thread
 * of a pool, so every shard has a pool of exactly one thread, and a key always reaches the
 * thread that owns it (src/shards/shard-handle.ts).
 *
 * The thread's one piscina task hands it a MessagePort and its shared slots; every batch of
 * operations, gathered by the main thread in one event-loop turn, then arrives in a slot and is
 * announced on that port (src/shards/batch-slots.ts). The shard decodes and
 * validates keys and values, executes, and formats every reply line, so the main thread does
 * as little per command as possible. Operations run in the order they arrive, which is the
 * order the main thread received them: single commands on a key are linearizable. A shard
 * never waits on another shard.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type MessagePort, workerData } from 'node:worker_threads';
import type { CommandCode } from '../src/commands/command-codes.js';
import { byteStringOf, isUtf8Range } from '../src/protocol/byte-ranges.js';
import { messages } from '../src/protocol/messages.js';
import { errorReplyBytes, okReplyBytes, resultReplyText } from '../src/protocol/reply-format.js';
import {
  BatchSlot,
  type ReplyNotice,
  readRequest,
  type SlotNotice,
  seqOf,
  slotIndexOf,
} from '../src/shards/batch-slots.js';
import {
  commandCodeMask,
  commandResp3Flag,
  OpCode,
  opFieldCount,
  type ShardAttachRequest,
  type ShardWorkerData,
  txDelAnswer,
} from '../src/shards/shard-messages.js';
import { CommandExecutor } from './command-executor.js';
import { Evictor } from './eviction.js';
import { ReplyWriter } from './reply-writer.js';
import { RespOut } from './resp-out.js';
import { ShardSnapshots } from './shard-snapshot.js';
import { ShardStore, ValueForm } from './shard-store.js';

const { valueBytesMax, evictionPolicy } = workerData as ShardWorkerData;
const store = new ShardStore({ policy: evictionPolicy });
const evictor = new Evictor(store, evictionPolicy);
const replies = new ReplyWriter();
const respOut = new RespOut(replies);
const snapshots = new ShardSnapshots(store);
const executor = new CommandExecutor(store, valueBytesMax);
const keyNotFoundReply = errorReplyBytes(messages.keyNotFound);
const invalidUtf8Reply = errorReplyBytes(messages.invalidUtf8);
const binaryValueReply = errorReplyBytes(messages.binaryValue);
/** Arguments of the command being run, reused: a command's strings live only while it runs. */
const commandArgs: string[] = [];

/** Active expiry (SPEC.md section 8): every `expiryCycleMs` the shard spends at most
 * `expiryStepMsMax` removing expired keys nobody reads, so their memory comes back by itself.
 * Like Redis's expire cycle (hz 10), but a smaller slice: Redis takes up to a quarter of its
 * time, so 1M keys that expire at once are gone in ~2 s while a P=16 load on other keys loses
 * half its throughput meanwhile. Measured here (bench/eviction/expiry-dip.ts, 2 shards): 2 ms
 * of each 100 ms, gone in ~7 s, the load 6-9 % slower meanwhile; 3 ms: ~5.5 s, 11-12 %; 5 ms:
 * ~3.5 s, 11-19 %; 25 ms after each step that ran out of time: ~1 s, 40-54 %. A shard that
 * ran no batch since the last cycle keeps nobody waiting: it takes a quarter of its time. */
const expiryCycleMs = 100;
const expiryStepMsMax = 2;
const idleExpiryStepMsMax = 25;
/** Longest a batch's eviction may take; what is left is asked for again with the next one. */
const evictStepMsMax = 10;
setInterval(() => {
  store.tick();
  const before = store.dataBytes;
  const idle = performance.now() - garbage.lastBatchMs > expiryCycleMs;
  const deadline = performance.now() + (idle ? idleExpiryStepMsMax : expiryStepMsMax);
  store.expireSome(deadline);
  garbage.add(before - store.dataBytes);
  // Once a burst of expiry is over: the live data is small then, so is the collection.
  if (performance.now() < deadline) garbage.collectIfDue();
  garbage.collectIfIdle();
}, expiryCycleMs);
let attachedPort: MessagePort | null = null;
/** Never notified: OpCode.stall waits on it for its whole timeout. */
const stallCell = new Int32Array(new SharedArrayBuffer(4));

// A full collection on request (OpCode.collectGarbage). The flag only installs `gc` in
// contexts made after it is set, hence the new context; it does not change how V8 collects.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options: object) => void;
/** V8's last-resort flavour: collections that also give the freed pages back. Node 24's plain
 * gc() left RSS where it was after 500k keys were deleted (115 MiB over start, 4 s later);
 * this brought it to 24 MiB at once (a worker thread, measured). */
const collectGarbage = () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });

/**
 * Memory V8 holds that the shard no longer needs. An idle or lightly loaded shard allocates too
 * little for V8 to collect on its own for many seconds (its memory reducer waits 8 s; measured:
 * ~12 s before RSS fell, memory-guard.ts), so:
 * - once data active expiry freed passes a quarter of what is left (and 4 MiB), the shard
 *   collects, even under load: a cache that shrank by itself gives the memory back;
 * - a shard idle for a second after changing an eighth of its data (and 4 MiB) collects: after
 *   a burst of writes RSS falls to what the data takes within a second or two rather than ~10
 *   (1M keys written at once: 210 bytes a key of RSS 2 s later before, 169 now). Only when
 *   idle: a last-resort collection of a large heap pauses the shard for a while.
 * At most once a second either way. (Eviction needs no more: it happens under writes, which
 * make V8 collect, and over the limit memory-guard.ts has every thread collect.)
 */
const garbage = {
  freedBytes: 0,
  changedBytes: 0,
  lastCollectMs: 0,
  lastBatchMs: 0,
  add(bytes: number): void {
    if (bytes > 0) this.freedBytes += bytes;
  },
  /** A batch ran, changing the shard's data by `bytes` (either way). */
  batchRan(bytes: number): void {
    this.changedBytes += Math.abs(bytes);
    this.lastBatchMs = performance.now();
  },
  collectIfDue(): void {
    if (this.freedBytes < Math.max(garbageBytesBeforeCollectMin, store.dataBytes / 4)) return;
    this.collect();
  },
  collectIfIdle(): void {
    if (this.changedBytes < Math.max(garbageBytesBeforeCollectMin, store.dataBytes / 8)) return;
    if (performance.now() - this.lastBatchMs < idleMsBeforeCollect) return;
    this.collect();
  },
  collect(): void {
    const now = performance.now();
    if (now - this.lastCollectMs < collectIntervalMsMin) return;
    this.lastCollectMs = now;
    this.freedBytes = 0;
    this.changedBytes = 0;
    collectGarbage();
  },
};
const garbageBytesBeforeCollectMin = 4 * 1024 * 1024;
const idleMsBeforeCollect = 1_000;
const collectIntervalMsMin = 1_000;

/** The piscina task: start serving batches from the main thread's port. */
export default function attach(request: ShardAttachRequest): 'attached' {
  if (attachedPort !== null) throw new Error('shard thread attached twice');
  const port = request.port;
  attachedPort = port;
  const requestSlots = request.requestSlots.map((memory) => new BatchSlot(memory));
  const replySlots = request.replySlots.map((memory) => new BatchSlot(memory));
  snapshots.attach(request.snapshotPort);
  port.on('message', (notice: SlotNotice) => {
    const seq = seqOf(notice);
    const slotIndex = slotIndexOf(seq, requestSlots.length);
    if (typeof notice !== 'number') requestSlots[slotIndex] = new BatchSlot(notice[1]);
    const ownReplies = runBatch(
      requestSlots[slotIndex] as BatchSlot,
      replySlots[slotIndex] as BatchSlot,
    );
    if (ownReplies === null) {
      port.postMessage(seq satisfies ReplyNotice);
    } else {
      port.postMessage([seq, ownReplies] satisfies ReplyNotice, [ownReplies]);
    }
  });
  return 'attached';
}

/** Runs the batch in `requestSlot`, writing its replies into `replySlot`; returns them in a
 * buffer of their own when they did not fit it. */
function runBatch(requestSlot: BatchSlot, replySlot: BatchSlot): ArrayBuffer | null {
  const { ops, opCount, bytes, evictBytes } = readRequest(requestSlot);
  store.tick();
  const dataBytesBefore = store.dataBytes;
  // Before the batch's writes: they then fit without anything being refused.
  if (evictBytes > 0) evictor.evict(evictBytes, performance.now() + evictStepMsMax);
  replies.begin(replySlot, opCount);
  let row = 0;
  while (row < opCount) {
    row += runOperation(ops, row * opFieldCount, bytes);
  }
  garbage.batchRan(store.dataBytes - dataBytesBefore);
  return replies.finish(store.largestReplyBytesBound(), store.report());
}

/** Runs the operation at `at` (an index into ops) and returns how many rows it used. */
function runOperation(ops: Int32Array, at: number, bytes: Buffer): number {
  const code = ops[at] as OpCode;
  const a = ops[at + 1] as number;
  const b = ops[at + 2] as number;
  switch (code) {
    case OpCode.get: {
      if (!isUtf8Range(bytes, a, b)) return reply(invalidUtf8Reply);
      // Keys and values are byte strings (shard-store.ts): latin1 keeps each byte.
      const key = bytes.toString('latin1', a, b);
      const value = store.get(key);
      if (value === undefined) {
        store.misses++;
        return reply(keyNotFoundReply);
      }
      store.hits++;
      const form = store.formOf(key);
      if (form === ValueForm.plain) replies.writePlainResult(value);
      else if (form === ValueForm.escape) replies.writeText(resultReplyText(textOf(value)));
      else return reply(binaryValueReply);
      return 1;
    }
    case OpCode.put: {
      const c = ops[at + 3] as number;
      const d = ops[at + 4] as number;
      if (!isUtf8Range(bytes, a, b) || !isUtf8Range(bytes, c, d)) {
        return reply(invalidUtf8Reply);
      }
      // toString copies into a fresh string, so a stored value never pins the batch buffer.
      store.put(bytes.toString('latin1', a, b), byteStringOf(bytes, c, d));
      return reply(okReplyBytes);
    }
    case OpCode.del:
      if (!isUtf8Range(bytes, a, b)) return reply(invalidUtf8Reply);
      store.delete(bytes.toString('latin1', a, b));
      return reply(okReplyBytes);
    case OpCode.command:
      runCommand(ops, at, bytes);
      return 1;
    case OpCode.unwatchAll:
      store.unwatchAll(a);
      replies.writeEmpty();
      return 1;
    case OpCode.txApply:
      return applyCommitPart(ops, at, bytes, a, b);
    case OpCode.txForget:
      store.forget(a);
      replies.writeEmpty();
      return 1;
    case OpCode.txUndo:
      store.undo(a);
      replies.writeEmpty();
      return 1;
    case OpCode.crash:
      process.exit(a);
      return 1;
    case OpCode.stall:
      Atomics.wait(stallCell, 0, 0, a);
      return reply(okReplyBytes);
    case OpCode.collectGarbage:
      collectGarbage();
      replies.writeEmpty();
      return 1;
    case OpCode.snapshotBegin:
      snapshots.begin(a, respOut);
      return 1;
    default:
      // A row the main thread should never send: a programmer error, so the shard stops and
      // the main thread treats it as a shard failure rather than guessing.
      throw new Error(`shard received unknown operation code ${code}`);
  }
}

const deletedReply = Uint8Array.of(txDelAnswer.deleted);
const absentReply = Uint8Array.of(txDelAnswer.absent);

/** A commit's part on this shard: its writes were validated (UTF-8, limits) by the main
 * thread when they were buffered, and their keys are locked there until every shard of the
 * commit has acknowledged. Transaction id 0: the whole commit is this part, sent unlocked
 * (src/coordinator/commit.ts), so there is nothing to undo and no record is kept. */
function applyCommitPart(
  ops: Int32Array,
  at: number,
  bytes: Buffer,
  txId: number,
  writeCount: number,
): number {
  const recorded = txId !== 0;
  if (recorded) store.beginCommitPart(txId);
  replies.writeEmpty();
  for (let i = 1; i <= writeCount; i++) {
    const w = at + i * opFieldCount;
    if (ops[w] === OpCode.command) {
      runCommand(ops, w, bytes);
      continue;
    }
    const key = bytes.toString('latin1', ops[w + 1], ops[w + 2]);
    // The store records what a write replaces while a commit part is open (beginCommitPart).
    if (ops[w] === OpCode.txPut) {
      store.put(key, byteStringOf(bytes, ops[w + 3] as number, ops[w + 4] as number));
    } else if (ops[w] === OpCode.txDel) {
      replies.writeBytes(store.delete(key) ? deletedReply : absentReply);
      continue;
    } else {
      throw new Error(`commit ${txId} carries operation code ${ops[w]} among its writes`);
    }
    replies.writeEmpty();
  }
  if (recorded) store.endCommitPart();
  return 1 + writeCount;
}

/** A command of the shared model (OpCode.command): decodes its arguments and runs it. */
function runCommand(ops: Int32Array, at: number, bytes: Buffer): void {
  let offset = ops[at + 1] as number;
  const flags = ops[at + 3] as number;
  const argCount = ops[at + 4] as number;
  commandArgs.length = argCount;
  for (let i = 0; i < argCount; i++) {
    const length = bytes.readUInt32LE(offset);
    offset += 4;
    commandArgs[i] = byteStringOf(bytes, offset, offset + length);
    offset += length;
  }
  respOut.resp3 = (flags & commandResp3Flag) !== 0;
  executor.run((flags & commandCodeMask) as CommandCode, commandArgs, respOut);
}

/** A byte string holding UTF-8 text, as the text. */
function textOf(value: string): string {
  return Buffer.from(value, 'latin1').toString('utf8');
}

function reply(line: Uint8Array): number {
  replies.writeBytes(line);
  return 1;
}
