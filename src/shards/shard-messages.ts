/**
 * Everything that crosses between the main thread and a shard thread, typed once for both
 * sides (STYLE.md section 3).
 *
 * At start the main thread hands the thread a MessagePort (ShardAttachRequest, the only piscina
 * task); every batch then travels on that port.
 *
 * One message carries a whole batch: every operation the main thread gathered for this shard
 * during one event-loop turn. Operations are rows of `opFieldCount` integers in `ops`; keys and
 * values are byte ranges of `bytes`. The two typed arrays are transferred, not copied. The
 * answer has one reply per operation, in order: reply i is `bytes[ends[i-1] .. ends[i])`, an
 * already formatted reply line (or empty for operations that only acknowledge).
 */

import type { MessagePort } from 'node:worker_threads';

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
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

export const opFieldCount = 5;

/** The one piscina task a shard thread gets: the port its batches arrive on. */
export interface ShardAttachRequest {
  port: MessagePort;
}

export interface ShardBatchRequest {
  /** Numbers batches on one port, so a result can be matched to its batch. */
  seq: number;
  /** opCount rows of opFieldCount integers. */
  ops: Int32Array;
  opCount: number;
  bytes: Uint8Array;
}

export interface ShardBatchResult {
  seq: number;
  /** After the batch: at least the bytes of the shard's largest value as a reply text (UTF-8,
   * escaped), to bound the replies its GETs can produce (ShardStore). */
  largestReplyBytes: number;
  /** End offset in `bytes` of each operation's reply. */
  ends: Uint32Array;
  bytes: Uint8Array;
}

/** Given to each shard thread at start (piscina workerData). */
export interface ShardWorkerData {
  shardIndex: number;
}
