/**
 * Runs commands of the shared model (src/commands/) for the Redis front door: one-key
 * commands straight to their shard, like the line protocol's GET and PUT; commands of several
 * keys, of every shard, and EXEC as atomic runs under the keys' locks (two-phase locking, as
 * COMMIT does), so no client ever sees half of an MSET or of a MULTI.
 *
 * WATCH is optimistic and costs nothing while nobody watches: the shards note changes only to
 * watched keys (workers/shard-store.ts), and EXEC asks them, under its locks, whether any
 * changed before it applies anything.
 */
import {
  argsOf,
  argText,
  type CommandCall,
  callBytes,
  ownedCall,
} from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import { keyPositions } from '../commands/command-table.js';
import type { ReplySlot } from '../net/reply-queue.js';
import {
  respArrayHeaderText,
  respBytes,
  respErrorBytes,
  respNullArrayBytes,
  respOkBytes,
} from '../protocol/resp-reply.js';
import { isNil } from '../protocol/resp-reply-reader.js';
import type { OpSink } from '../shards/batch-builder.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode, txDelAnswer } from '../shards/shard-messages.js';
import type { ShardRouter } from '../shards/shard-router.js';
import { AtomicRun } from './atomic-run.js';
import { FixedReplyPlan, type Plan, type PlanContext, planFor } from './command-plans.js';
import { runCommit } from './commit.js';
import type { ClientSession, Waits } from './coordinator.js';
import { compareLockOrder, type LockTable, type PlacedLockKey } from './lock-table.js';
import { MemoryGuard } from './memory-guard.js';
import { delWrites, setWrites } from './set-commit.js';
import { SplitRead } from './split-read.js';
import type { BufferedWrite } from './transaction.js';

/** A key a client watches (WATCH, START SERIALIZABLE). */
export interface WatchedKey extends PlacedLockKey {
  readonly bytes: Buffer;
}

/** What a client watches, and how often each shard had failed when it started watching: a
 * shard that restarted lost its keys and its watches, which counts as a change. */
export interface WatchSet {
  readonly watcher: number;
  readonly keys: Map<string, WatchedKey>;
  readonly shardFailures: number[];
  /** The client is gone: its watches were dropped, so a commit still in flight must not take
   * the empty set for "nothing changed". */
  closed: boolean;
}

/** Commands of several keys a shard runs whole when all their keys are its own
 * (workers/command-executor.ts): their replies need no merging. */
const oneShardCommands = new Set(['mget', 'mset', 'del', 'unlink', 'exists']);

export const oomMessage = "OOM command not allowed when used memory > 'maxmemory'.";

export interface CommandRunnerOptions {
  shards: readonly ShardHandle[];
  router: ShardRouter;
  locks: LockTable;
  memory: MemoryGuard;
  takeTxId: () => number;
}

export class CommandRunner {
  private readonly shards: readonly ShardHandle[];
  private readonly router: ShardRouter;
  private readonly locks: LockTable;
  private readonly memory: MemoryGuard;
  private readonly takeTxId: () => number;
  /** EXECs applied, and EXECs a changed WATCHed key aborted (src/metrics/). */
  execsApplied = 0;
  execConflicts = 0;

  constructor(options: CommandRunnerOptions) {
    this.shards = options.shards;
    this.router = options.router;
    this.locks = options.locks;
    this.memory = options.memory;
    this.takeTxId = options.takeTxId;
  }

  /** An OOM error when the call may add data and the server is at --max-memory; else null
   * (and the write's estimate is noted). */
  memoryRefusal(call: CommandCall): Buffer | null {
    if (!call.spec.denyOom) return null;
    const cost = MemoryGuard.estimate(callBytes(call), 1);
    if (this.memory.wouldExceed(cost)) return respErrorBytes(oomMessage);
    this.memory.noteWrite(cost);
    return null;
  }

  /** A one-key command outside MULTI: to its shard, after any commit holding its key. */
  runKey(session: ClientSession, call: CommandCall, resp3: boolean, resume: () => void): Waits {
    const refusal = this.memoryRefusal(call);
    if (refusal !== null) {
      session.replies.push(refusal);
      return false;
    }
    const { args } = call;
    const keyStart = args.starts[1] as number;
    const keyEnd = args.ends[1] as number;
    const stripe = this.router.stripeOf(args.bytes, keyStart, keyEnd);
    const shard = this.router.shardOfStripe(stripe);
    const handle = this.shards[shard] as ShardHandle;
    const slot = session.replies.reserve();
    const replyBytes = expectReplyBytes(session, handle, call);
    const send = (sent: CommandCall) => sendWhole(handle, sent, resp3, slot, replyBytes);
    // Fast path (bench/run.ts): a free stripe needs no look at the key.
    if (this.locks.isStripeHeld(stripe) || this.locks.isGated) {
      const key = { stripe, keyId: args.bytes.toString('latin1', keyStart, keyEnd) };
      if (this.locks.isLocked(key) || this.locks.isGated) {
        // The request's bytes may be reused once this turn ends: the waiting call keeps a copy.
        const owned = ownedCall(call);
        this.locks.waitUntilFree(key, () => {
          send(owned);
          resume();
        });
        return true;
      }
    }
    send(call);
    return false;
  }

  /**
   * MGET, MSET, DEL, UNLINK or EXISTS whose keys all live on one shard, none of their stripes
   * locked: sent to that shard as one command, like a one-key command (runKey). The shard runs
   * it whole, so it is atomic by itself, and it comes after every commit already sent there.
   * Returns false, having done nothing, when the command does not qualify: then it goes
   * through runAtomic. (redis-benchmark's MSET of one key ten times, -P 16: 0.16x of Redis
   * through runAtomic's plans, one-key and one-shard alike.)
   */
  runOnOneShard(session: ClientSession, call: CommandCall, resp3: boolean): boolean {
    const { spec, args, count } = call;
    if (!oneShardCommands.has(spec.name) || this.locks.isGated) return false;
    // MSET with a key and no value: runAtomic's plan answers Redis's arity error.
    if (spec.keyStep === 2 && count % 2 === 0) return false;
    let shard = -1;
    for (let i = 1; i < count; i += spec.keyStep) {
      const stripe = this.router.stripeOf(
        args.bytes,
        args.starts[i] as number,
        args.ends[i] as number,
      );
      if (this.locks.isStripeHeld(stripe)) return false;
      const keyShard = this.router.shardOfStripe(stripe);
      if (shard === -1) shard = keyShard;
      else if (keyShard !== shard) return false;
    }
    const refusal = this.memoryRefusal(call);
    if (refusal !== null) {
      session.replies.push(refusal);
      return true;
    }
    const handle = this.shards[shard] as ShardHandle;
    const slot = session.replies.reserve();
    sendWhole(handle, call, resp3, slot, expectReplyBytes(session, handle, call));
    return true;
  }

  /**
   * MGET or EXISTS of keys on several shards, none of their stripes locked: one such command
   * per shard, MGET's values put back in the keys' order, EXISTS's counts added (split-read.ts).
   * Returns false, having done nothing, when it does not qualify (a locked key: runAtomic then
   * waits for the lock).
   */
  runSplitRead(session: ClientSession, call: CommandCall, resp3: boolean): boolean {
    const code = call.spec.code;
    if ((code !== CommandCode.mget && code !== CommandCode.exists) || this.locks.isGated) {
      return false;
    }
    const { args, count } = call;
    const shardOfKey = new Int32Array(count - 1);
    for (let i = 1; i < count; i++) {
      const stripe = this.router.stripeOf(
        args.bytes,
        args.starts[i] as number,
        args.ends[i] as number,
      );
      if (this.locks.isStripeHeld(stripe)) return false;
      shardOfKey[i - 1] = this.router.shardOfStripe(stripe);
    }
    const slot = session.replies.reserve();
    const kind = code === CommandCode.mget ? 'values' : 'count';
    const merge = new SplitRead(kind, shardOfKey, this.shards.length, (reply) => {
      const answer = typeof reply === 'number' ? respErrorBytes(shardFailedError(reply)) : reply;
      slot.resolve(answer, 0, answer.length);
    });
    let replyBytesAll = 0;
    merge.placesByShard.forEach((places, shard) => {
      if (places.length === 0) return;
      const handle = this.shards[shard] as ShardHandle;
      // As for GET: the connection stops reading before the shards build more than the
      // client can take (expectReplyBytes).
      const replyBytes = kind === 'values' ? valueRepliesBytesMax(handle, places.length) : 0;
      replyBytesAll += replyBytes;
      const picks = places.map((place) => place + 1);
      let requestBytes = 0;
      for (const i of picks) {
        requestBytes += 4 + (args.ends[i] as number) - (args.starts[i] as number);
      }
      handle
        .batchFor(requestBytes, replyBytes)
        .addPickedCommandOp(code, resp3, args, picks, merge.sinkFor(shard));
      handle.scheduleFlush();
    });
    session.replies.expectLastReplyBytes(replyBytesAll);
    return true;
  }

  /** An MSET of keys and values (set-commit.ts isPlainMset) that runOnOneShard did not
   * take: a commit of its pairs, all applied or none. */
  runMset(session: ClientSession, call: CommandCall, resume: () => void): Waits {
    const refusal = this.memoryRefusal(call);
    if (refusal !== null) {
      session.replies.push(refusal);
      return false;
    }
    const slot = session.replies.reserve();
    return this.commitWrites(setWrites([call], this.router), resume, undefined, (failed) =>
      resolveWith(slot, failed ?? respOkBytes),
    );
  }

  /** EXEC of plain SETs, watching nothing (set-commit.ts isPlainSetExec): a commit of them,
   * answered with an +OK for each. MULTI checked each SET against --max-memory as it was
   * queued. */
  runSetExec(session: ClientSession, calls: readonly CommandCall[], resume: () => void): Waits {
    const slot = session.replies.reserve();
    return this.commitWrites(setWrites(calls, this.router), resume, undefined, (failed) => {
      if (failed !== null) {
        resolveWith(slot, failed);
        return;
      }
      this.execsApplied++;
      resolveWith(
        slot,
        Buffer.concat([
          respBytes(respArrayHeaderText(calls.length)),
          ...calls.map(() => respOkBytes),
        ]),
      );
    });
  }

  /** A DEL or UNLINK that runOnOneShard did not take: a commit of deletes, answered with how
   * many of the keys were there. */
  runDel(session: ClientSession, call: CommandCall, resume: () => void): Waits {
    const writes = delWrites(call, this.router);
    const slot = session.replies.reserve();
    // Each delete answers whether its key was there. The part's own answer, which may end
    // the commit, comes before its rows' answers, so the reply waits for both.
    let deleted = 0;
    let answers = 0;
    let failed: Buffer | null | undefined;
    let replied = false;
    const replyWhenAllIn = () => {
      if (replied || failed === undefined || answers < writes.length) return;
      replied = true;
      resolveWith(slot, failed ?? respBytes(`:${deleted}\r\n`));
    };
    const deletes: OpSink = {
      resolve: (bytes, start) => {
        if (bytes[start] === txDelAnswer.deleted) deleted++;
        answers++;
        replyWhenAllIn();
      },
      reject: () => {
        answers++;
        replyWhenAllIn();
      },
    };
    return this.commitWrites(writes, resume, deletes, (failure) => {
      failed = failure;
      // A failed commit may leave rows of the failed shard unanswered: answer at once.
      if (failure !== null) answers = writes.length;
      replyWhenAllIn();
    });
  }

  /** Commits `writes` (set-commit.ts); `finished` gets null once they are applied, or the
   * shard-failure error (nothing applied then). */
  private commitWrites(
    writes: BufferedWrite[],
    resume: () => void,
    deletes: OpSink | undefined,
    finished: (failure: Buffer | null) => void,
  ): Waits {
    // Free keys are locked and the parts sent in this turn: the client's next commands may
    // run meanwhile, queued behind the locks and the parts, as with runAtomic.
    const sentNow = !this.locks.anyLocked(writes);
    runCommit({
      txId: this.takeTxId(),
      writes,
      locks: this.locks,
      shards: this.shards,
      ...(deletes === undefined ? {} : { deletes }),
      done: (outcome) => {
        finished(
          'failedShard' in outcome ? respErrorBytes(shardFailedError(outcome.failedShard)) : null,
        );
        if (!sentNow) resume();
      },
    });
    return !sentNow;
  }

  /**
   * Commands run atomically across shards: one multi-key or keyspace command (`asExec`
   * false), or the commands a MULTI queued (`asExec` true: the reply is their array, or the
   * null array when a watched key changed).
   */
  runAtomic(
    session: ClientSession,
    calls: readonly CommandCall[],
    options: { resp3: boolean; asExec: boolean; watch: WatchSet | null },
    resume: () => void,
  ): Waits {
    const { resp3, asExec, watch } = options;
    // MSET and MSETNX may add data like SET: refused past --max-memory (MULTI checks its
    // commands when they are queued).
    const refusal = asExec ? null : this.memoryRefusal(calls[0] as CommandCall);
    if (refusal !== null) {
      session.replies.push(refusal);
      return false;
    }
    const context: PlanContext = {
      router: this.router,
      shardCount: this.shards.length,
      resp3,
    };
    const plans: Plan[] = calls.map((call) => planFor(call, context, (i) => argText(call, i)));
    const first = plans[0];
    if (!asExec && first instanceof FixedReplyPlan) {
      session.replies.push(first.answer);
      return false;
    }
    const slot = session.replies.reserve();
    const exclusive = calls.some((call) => call.spec.kind === 'keyspace');
    const lockKeys = exclusive ? [] : this.lockKeysOf(calls, watch);
    const oneStep = plans.every((plan) => plan.stepCount === 1);
    const free = !this.locks.anyLocked(lockKeys);
    // Keys all on one shard, one step: the shard runs the commands back to back, atomic by
    // itself, so they need neither locks nor undo records, only to come after any commit
    // that holds one of the keys (redis-benchmark's MSET: 0.17x Redis with locks).
    const direct = !asExec && !exclusive && oneStep && free && onOneShard(lockKeys);
    // Reads whose keys are all free now need no locks either: sent in this turn, they come
    // before any commit that locks a key later, on every shard.
    const readOnly = watch === null && calls.every((call) => !call.spec.write);
    const unlocked = direct || (!asExec && readOnly && !exclusive && free);
    const run = new AtomicRun(this.shards, unlocked ? 0 : this.takeTxId(), resp3, !unlocked);
    // A keyspace command's exclusive hold is a barrier: once its one step is queued on every
    // shard, later commands come after it there, and the hold can go at once.
    // Only for reads: a write (FLUSHALL) keeps it until every shard answered, so a shard
    // failure is settled before anyone reads again.
    const releaseAfterSend =
      exclusive && oneStep && watch === null && calls.every((call) => !call.spec.write);
    let released = unlocked;
    const release = () => {
      if (released) return;
      released = true;
      if (exclusive) this.locks.releaseExclusive();
      else this.locks.releaseAll(run.txId, lockKeys);
    };
    let returned = false;
    let waited = false;
    const answer = (reply: Buffer) => {
      slot.resolve(reply, 0, reply.length);
      if (watch !== null) this.unwatch(watch);
      if (waited) resume();
    };
    const finish = () => {
      run.finish(() => {
        release();
        if (run.failedShard !== -1) {
          // FLUSHALL records no undo: what other shards flushed stays flushed.
          const flushes = calls.some((call) => call.spec.code === CommandCode.flush);
          answer(
            respErrorBytes(
              flushes ? flushFailedError(run.failedShard) : shardFailedError(run.failedShard),
            ),
          );
          return;
        }
        const replies = plans.map((plan) => plan.reply());
        if (asExec) this.execsApplied++;
        answer(
          asExec
            ? Buffer.concat([respBytes(respArrayHeaderText(replies.length)), ...replies])
            : (replies[0] as Buffer),
        );
      });
    };
    // True once every step went out in the turn the command arrived: the client's next
    // commands may run meanwhile (they queue behind these on every shard, and wait on the
    // locks held), so a pipelining client keeps its pipeline full.
    let sentAtOnce = false;
    const go = () => {
      this.checkWatches(run, watch, (changed) => {
        if (changed) {
          this.execConflicts++;
          run.finish(() => {
            release();
            answer(respNullArrayBytes(resp3));
          });
          return;
        }
        this.runPlans(run, plans, finish);
        if (releaseAfterSend) release();
        if (!returned && oneStep && watch === null) sentAtOnce = true;
      });
    };
    if (unlocked) go();
    else if (exclusive) this.locks.acquireExclusive(go);
    else this.locks.acquireAll(run.txId, lockKeys, go);
    returned = true;
    if (sentAtOnce) return false;
    waited = true;
    return true;
  }

  /** WATCH: the shards note changes to the keys from now on. */
  watch(session: ClientSession, watch: WatchSet, call: CommandCall): Waits {
    const byShard = new Map<number, Buffer[]>();
    for (let i = 1; i < call.count; i++) {
      const { args } = call;
      const start = args.starts[i] as number;
      const end = args.ends[i] as number;
      const bytes = Buffer.from(args.bytes.subarray(start, end));
      const keyId = bytes.toString('latin1');
      if (watch.keys.has(keyId)) continue;
      const stripe = this.router.stripeOf(bytes, 0, bytes.length);
      const shard = this.router.shardOfStripe(stripe);
      watch.keys.set(keyId, { stripe, keyId, shard, bytes });
      const keys = byShard.get(shard) ?? [];
      keys.push(bytes);
      byShard.set(shard, keys);
    }
    if (byShard.size === 0) {
      session.replies.push(respOkBytes);
      return false;
    }
    this.sendWatches(watch, byShard, session.replies.reserve());
    return false;
  }

  /** Registers `keys` (by shard) for the watcher; `slot` gets +OK once every shard has. */
  sendWatches(watch: WatchSet, byShard: Map<number, Buffer[]>, slot: ReplySlot | null): void {
    let unanswered = byShard.size;
    const answered = () => {
      if (--unanswered === 0) slot?.resolve(respOkBytes, 0, respOkBytes.length);
    };
    for (const [shard, keys] of byShard) {
      const handle = this.shards[shard] as ShardHandle;
      watch.shardFailures[shard] ??= handle.failureCount;
      const args = argsOf([String(watch.watcher), ...keys]);
      handle.batch.addCommandOp(CommandCode.watch, false, args, 0, keys.length + 1, {
        resolve: answered,
        reject: answered,
      });
      handle.scheduleFlush();
    }
  }

  /** Ends a client's watches on every shard (they ride with the shards' next batches). */
  unwatch(watch: WatchSet): void {
    const shards = new Set<number>();
    for (const key of watch.keys.values()) shards.add(key.shard);
    for (const shard of shards) {
      (this.shards[shard] as ShardHandle).addRider(OpCode.unwatchAll, watch.watcher);
    }
    watch.keys.clear();
    watch.shardFailures.length = 0;
  }

  /**
   * Asks every shard with a watched key whether one changed; `done(true)` when one did (or
   * its shard restarted since). Runs under the commit's locks, so nothing can change a
   * watched key between this check and the writes that follow it.
   */
  checkWatches(
    run: AtomicRun,
    watch: WatchSet | null,
    done: (changed: boolean, key?: string) => void,
  ): void {
    if (watch?.closed === true) {
      done(true, '');
      return;
    }
    if (watch === null || watch.keys.size === 0) {
      done(false);
      return;
    }
    let changedKey: string | undefined;
    const shards = new Set<number>();
    for (const key of watch.keys.values()) {
      shards.add(key.shard);
      const failures = (this.shards[key.shard] as ShardHandle).failureCount;
      if (failures !== (watch.shardFailures[key.shard] ?? failures)) changedKey ??= key.keyId;
    }
    const watcherArg = argsOf([String(watch.watcher)]);
    for (const shard of shards) {
      run.add(shard, CommandCode.watchCheck, watcherArg, 0, 1, (reply) => {
        if (!isNil(reply))
          changedKey ??= reply.subarray(reply.indexOf(10) + 1, -2).toString('latin1');
      });
    }
    run.send(() => done(changedKey !== undefined || run.failedShard !== -1, changedKey));
  }

  /** Runs the plans in order: consecutive one-step plans share a step (one part per shard),
   * a two-step plan runs its steps alone. Stops at a shard failure. */
  private runPlans(run: AtomicRun, plans: readonly Plan[], done: () => void): void {
    let next = 0;
    const advance = () => {
      if (run.failedShard !== -1 || next >= plans.length) {
        done();
        return;
      }
      const plan = plans[next] as Plan;
      if (plan.stepCount === 1) {
        while (next < plans.length && (plans[next] as Plan).stepCount === 1) {
          (plans[next] as Plan).addStep(0, run);
          next++;
        }
        run.send(advance);
        return;
      }
      next++;
      let step = 0;
      const nextStep = () => {
        if (run.failedShard !== -1 || step === plan.stepCount) {
          advance();
          return;
        }
        plan.addStep(step++, run);
        run.send(nextStep);
      };
      nextStep();
    };
    advance();
  }

  /** Every key the calls touch and the watched keys, once each, in the global lock order. */
  private lockKeysOf(calls: readonly CommandCall[], watch: WatchSet | null): PlacedLockKey[] {
    const keys = new Map<string, PlacedLockKey>();
    for (const call of calls) {
      const { args } = call;
      for (const position of keyPositions(call.spec, call.count)) {
        const start = args.starts[position] as number;
        const end = args.ends[position] as number;
        const keyId = args.bytes.toString('latin1', start, end);
        if (keys.has(keyId)) continue;
        const stripe = this.router.stripeOf(args.bytes, start, end);
        keys.set(keyId, { stripe, keyId, shard: this.router.shardOfStripe(stripe) });
      }
    }
    if (watch !== null) {
      for (const key of watch.keys.values()) if (!keys.has(key.keyId)) keys.set(key.keyId, key);
    }
    return [...keys.values()].sort(compareLockOrder);
  }
}

/** For GET and MGET, announces how large the reply just reserved may get (a value for each
 * key, at the shard's bound), as for the line protocol's GET (coordinator.ts): the connection
 * stops reading before the shards format more than the client can take. Returns the bytes. */
function expectReplyBytes(session: ClientSession, handle: ShardHandle, call: CommandCall): number {
  const code = call.spec.code;
  if (code !== CommandCode.get && code !== CommandCode.mget) return 0;
  const replyBytes = valueRepliesBytesMax(handle, call.count - 1);
  session.replies.expectLastReplyBytes(replyBytes);
  return replyBytes;
}

/** The most `values` of `handle`'s values take in a RESP reply: each at the shard's bound,
 * with room for its framing. */
function valueRepliesBytesMax(handle: ShardHandle, values: number): number {
  return (handle.largestValueBytesBound() + 32) * values;
}

/** Sends the whole command (its arguments after the name) to one shard, its reply to `slot`. */
function sendWhole(
  handle: ShardHandle,
  call: CommandCall,
  resp3: boolean,
  slot: ReplySlot,
  replyBytes: number,
): void {
  handle
    .batchFor(callBytes(call) + 4 * call.count, replyBytes)
    .addCommandOp(call.spec.code, resp3, call.args, 1, call.count, slot);
  handle.scheduleFlush();
}

export function shardFailedError(shard: number): string {
  return `ERR shard ${shard} failed and was restarted empty (its keys were lost); nothing of this command was applied, retry it`;
}

function onOneShard(keys: readonly PlacedLockKey[]): boolean {
  return keys.every((key) => key.shard === (keys[0] as PlacedLockKey).shard);
}

export function flushFailedError(shard: number): string {
  return `ERR shard ${shard} failed and was restarted empty; the other shards may have been flushed already, retry FLUSHALL`;
}

function resolveWith(slot: ReplySlot, reply: Buffer): void {
  slot.resolve(reply, 0, reply.length);
}
