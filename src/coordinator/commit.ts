/**
 * One COMMIT, as two-phase locking across shards:
 *
 * 1. Lock every key of the write set, one by one, in the global order (shard, stripe, key
 *    bytes); a key another commit holds is waited for (lock-table.ts).
 * 2. Send each shard its part, all in the same event-loop turn. A shard records the previous
 *    value of each key it writes (its undo record) before writing.
 * 3. When every shard has acknowledged: the commit is done. The shards drop their undo records
 *    with their next batch, and the locks are released.
 *    When a shard failed instead: the shards that applied their part undo it, and only then are
 *    the locks released, so no client ever read a key of the half-applied commit.
 *
 * Written with callbacks and counters rather than promises: it runs once per transaction on
 * the main thread (bench/run.ts, the transaction mix).
 */
import { argsOf } from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import type { BatchBuilder, OpSink } from '../shards/batch-builder.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode } from '../shards/shard-messages.js';
import type { LockKey, LockTable } from './lock-table.js';
import type { BufferedWrite } from './transaction.js';

export type CommitOutcome =
  | { applied: true }
  | { applied: false; failedShard: number }
  | { applied: false; conflictKey: string };

export interface CommitRequest {
  txId: number;
  /** The write set in the global lock order (Transaction.writesInLockOrder); empty only for
   * a serializable commit that only read. */
  writes: readonly BufferedWrite[];
  locks: LockTable;
  shards: readonly ShardHandle[];
  done: (outcome: CommitOutcome) => void;
  /** Receives each DEL's answer from its shard: one byte, `1` when the key was there (RESP
   * DEL's count, set-commit.ts). Answers of a commit that then fails mean nothing. */
  deletes?: OpSink;
  /** START SERIALIZABLE: every key to lock (the writes and the watched keys, in the global
   * lock order), and the check, under those locks, that no watched key changed: it calls back
   * with the key that did, or undefined. */
  serializable?: {
    lockKeys: readonly LockKey[];
    validate: (checked: (changedKey: string | undefined) => void) => void;
  };
}

export function runCommit(request: CommitRequest): void {
  const { txId, writes, locks, serializable } = request;
  if (serializable === undefined && mayCommitUnlocked(writes, locks)) {
    // One shard applies the whole write set in one go, after every commit already sent there,
    // so no client can see half of it and no other shard can fail under it: no locks, no undo
    // record (transaction id 0), nothing to forget. Still after any commit that holds one of
    // its keys (else the locked path waits for it). Every commit with --shards 1; with 2
    // shards, 1 in 8 of 4-write commits (bench/run.ts, the transaction mix).
    applyParts({ ...request, txId: 0 }, request.done);
    return;
  }
  const lockKeys = serializable?.lockKeys ?? writes;
  locks.acquireAll(txId, lockKeys, () => {
    const apply = () => {
      if (writes.length === 0) {
        locks.releaseAll(txId, lockKeys);
        request.done({ applied: true });
        return;
      }
      applyParts(request, (outcome) => {
        locks.releaseAll(txId, lockKeys);
        request.done(outcome);
      });
    };
    if (serializable === undefined) {
      apply();
      return;
    }
    serializable.validate((changedKey) => {
      if (changedKey === undefined) {
        apply();
        return;
      }
      locks.releaseAll(txId, lockKeys);
      request.done({ applied: false, conflictKey: changedKey });
    });
  });
}

/** True when every write goes to one shard and none of their keys is locked now. */
function mayCommitUnlocked(writes: readonly BufferedWrite[], locks: LockTable): boolean {
  if (writes.length === 0) return false;
  const shard = (writes[0] as BufferedWrite).shard;
  return writes.every((write) => write.shard === shard) && !locks.anyLocked(writes);
}

/** Sends each shard its part: the writes are grouped by shard already (lock order). */
function applyParts(request: CommitRequest, finished: (outcome: CommitOutcome) => void): void {
  const { writes } = request;
  const applied: number[] = [];
  let failedShard = -1;
  let unanswered = 0;
  for (let from = 0; from < writes.length; from = partEnd(writes, from)) unanswered++;
  const partAnswered = (shard: number, ok: boolean) => {
    if (ok) applied.push(shard);
    else if (failedShard === -1) failedShard = shard;
    if (--unanswered > 0) return;
    if (failedShard === -1) {
      for (const done of applied) forget(request, done);
      finished({ applied: true });
    } else {
      undo(request, applied, () => finished({ applied: false, failedShard }));
    }
  };
  for (let from = 0; from < writes.length; ) {
    const to = partEnd(writes, from);
    sendPart(request, from, to, partAnswered);
    from = to;
  }
}

/** Where the part that starts at `writes[from]` ends: the first write to another shard. */
function partEnd(writes: readonly BufferedWrite[], from: number): number {
  const shard = (writes[from] as BufferedWrite).shard;
  let to = from + 1;
  while (to < writes.length && (writes[to] as BufferedWrite).shard === shard) to++;
  return to;
}

/** Sends one shard its part of the commit, `writes[from, to)`: a txApply row, then one row
 * per write. */
function sendPart(
  request: CommitRequest,
  from: number,
  to: number,
  answered: (shard: number, ok: boolean) => void,
): void {
  const { writes } = request;
  const shard = (writes[from] as BufferedWrite).shard;
  const handle = request.shards[shard] as ShardHandle;
  const sink: OpSink = {
    resolve: () => answered(shard, true),
    reject: () => answered(shard, false),
  };
  let partBytes = 0;
  let rows = 0;
  for (let i = from; i < to; i++) {
    const write = writes[i] as BufferedWrite;
    partBytes += write.bytes.length;
    rows += write.onlyExpiry ? 1 : write.expireAt > 0 ? 2 : 1;
  }
  // The whole part goes in one batch: the shard reads its writes right after its txApply row.
  const batch = handle.batchFor(partBytes + 64 * rows, 0);
  batch.addControlOp(OpCode.txApply, request.txId, rows, sink);
  for (let i = from; i < to; i++) {
    const write = writes[i] as BufferedWrite;
    const { bytes, keyBytes, isDel } = write;
    if (write.onlyExpiry) {
      addExpiryRow(batch, write);
    } else if (isDel) {
      batch.addKeyOp(OpCode.txDel, bytes, 0, keyBytes, request.deletes ?? null);
    } else {
      batch.addPutOp(OpCode.txPut, bytes, 0, keyBytes, keyBytes, bytes.length, null);
      if (write.expireAt > 0) addExpiryRow(batch, write);
    }
  }
  handle.scheduleFlush();
}

/** A buffered EXPIRE or PERSIST, as the shared model's PEXPIREAT or PERSIST of the key: a
 * key that is gone by COMMIT stays gone. */
function addExpiryRow(batch: BatchBuilder, write: BufferedWrite): void {
  const key = write.bytes.subarray(0, write.keyBytes);
  if (write.expireAt > 0) {
    batch.addCommandOp(
      CommandCode.pexpireat,
      false,
      argsOf([key, String(write.expireAt)]),
      0,
      2,
      null,
    );
  } else {
    batch.addCommandOp(CommandCode.persist, false, argsOf([key]), 0, 1, null);
  }
}

/** The undo record is no longer needed; it rides with the shard's next batch (an unlocked
 * commit, transaction id 0, made none). */
function forget(request: CommitRequest, shard: number): void {
  if (request.txId === 0) return;
  (request.shards[shard] as ShardHandle).addRider(OpCode.txForget, request.txId);
}

function undo(request: CommitRequest, shards: readonly number[], undone: () => void): void {
  let unanswered = shards.length;
  if (unanswered === 0) {
    undone();
    return;
  }
  // A shard that fails during its undo lost its keys anyway: either answer ends the wait.
  const answered = () => {
    if (--unanswered === 0) undone();
  };
  for (const shard of shards) {
    const handle = request.shards[shard] as ShardHandle;
    handle.batch.addControlOp(OpCode.txUndo, request.txId, 0, {
      resolve: answered,
      reject: answered,
    });
    handle.scheduleFlush();
  }
}
