/**
 * Everything that crosses between the main thread and a shard thread, typed once for both
 * sides (STYLE.md section 3).
 *
 * At start the main thread hands the thread a MessagePort and the shared slots batches travel
 * in (ShardAttachRequest, the only piscina task); every batch is then announced on that port.
 *
 * One batch holds every operation the main thread gathered for this shard during one
 * event-loop turn. Operations are rows of `opFieldCount` integers; keys and values are byte
 * ranges of the batch's bytes (layout: batch-slots.ts). The answer has one reply per operation,
 * in order, each an already formatted reply line (or empty for operations that only
 * acknowledge), and the shard's bound on its largest reply.
 */

import type { MessagePort } from 'node:worker_threads';
import type { EvictionPolicy } from '../config/eviction-policies.js';

/** Operation codes, the first field of a row. */
export const OpCode = {
  /** [code, keyStart, keyEnd] -> GET reply line. */
  get: 1,
  /** [code, keyStart, keyEnd, valueStart, valueEnd] -> PUT reply line. */
  put: 2,
  /** [code, keyStart, keyEnd] -> DEL reply line. */
  del: 3,
  /** [code, txId, writeCount]: the next writeCount rows are one commit's part on this shard;
   * the shard records each key's previous value (the undo record) before it writes. */
  txApply: 4,
  /** [code, keyStart, keyEnd, valueStart, valueEnd]: a buffered PUT of a commit. */
  txPut: 5,
  /** [code, keyStart, keyEnd]: a buffered DEL of a commit. */
  txDel: 6,
  /** [code, txId]: every shard of the commit acknowledged; drop its undo record. */
  txForget: 7,
  /** [code, txId]: another shard of the commit failed; restore the undo record. */
  txUndo: 8,
  /** [code, exitCode]: debug hook: the shard thread exits, as a crash would end it. */
  crash: 9,
  /** [code]: the server is at --max-memory: collect garbage now, so memory that DELs freed
   * shows in RSS (an idle shard would otherwise keep it for many seconds). */
  collectGarbage: 10,
  /** [code, ms]: debug hook: the shard thread blocks for ms, as a long batch would hold it, so
   * tests can make work pile up behind it. */
  stall: 11,
  /** [code, argsStart, argsEnd, commandCode | resp3 << 8, argCount]: a command of the shared
   * model (src/commands/command-codes.ts); its arguments are `argCount` runs of a uint32 byte
   * length (little-endian) and the bytes, in `bytes[argsStart, argsEnd)` -> RESP reply. Inside
   * a commit part its writes are recorded for undo like txPut's. */
  command: 12,
  /** [code, watcher]: the client's WATCH ends (EXEC, DISCARD, UNWATCH, its connection
   * closing); rides with the next batch. */
  unwatchAll: 13,
  /** [code, snapshotId]: the shard's part of a snapshot starts here, between the operations
   * before it and after it -> SnapshotBeginResult (src/persistence/snapshot-messages.ts); the
   * part's keys then travel on the snapshot port. */
  snapshotBegin: 20,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

export const opFieldCount = 5;

/** The fourth field of a command row: the command code, and whether the client speaks RESP3. */
export const commandResp3Flag = 1 << 8;
export const commandCodeMask = 0xff;

/** The one piscina task a shard thread gets: the port its batches are announced on, and the
 * memory of its request and reply slots, one of each per batch in flight (batch-slots.ts). */
export interface ShardAttachRequest {
  port: MessagePort;
  requestSlots: SharedArrayBuffer[];
  replySlots: SharedArrayBuffer[];
  /** Snapshot chunks and their answers (src/persistence/snapshot-messages.ts): a port of their
   * own, so chunks never wait behind batches. */
  snapshotPort: MessagePort;
}

/** Given to each shard thread at start (piscina workerData). */
export interface ShardWorkerData {
  shardIndex: number;
  /** --eviction-policy: what the shard tracks per key, and how it chooses what to evict. */
  evictionPolicy: EvictionPolicy;
  /** Longest value a command may build in the shard (APPEND, SETRANGE): --max-line-bytes. */
  valueBytesMax: number;
}

/** What a commit's txDel row answers: one byte, whether the key was there (RESP DEL's count,
 * src/coordinator/set-commit.ts; the line protocol's COMMIT does not read it). */
export const txDelAnswer = { deleted: 0x31, absent: 0x30 } as const;
