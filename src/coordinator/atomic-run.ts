/**
 * The shard side of an atomic command (MSET, DEL of several keys, RENAME across shards) or of
 * an EXEC: commands sent to the shards in steps, each step one part per shard (a txApply row
 * and its commands, so the shard records undo entries for everything they write), all in the
 * same event-loop turn. The caller holds the keys' locks (or the exclusive hold) from before
 * the first step until `finish`.
 *
 * When a shard fails during a step, the parts the other shards applied in every step are
 * undone before `finish` calls back, so nothing of the command stays applied: the same
 * all-or-nothing as a COMMIT (commit.ts).
 */
import type { ArgRanges, OpSink } from '../shards/batch-builder.js';
import type { ShardHandle } from '../shards/shard-handle.js';
import { OpCode } from '../shards/shard-messages.js';

/** Receives one command's reply (a view that stays valid). */
export type ReplyCallback = (reply: Buffer) => void;

interface QueuedCommand {
  code: number;
  args: ArgRanges;
  from: number;
  to: number;
  /** Argument numbers to send instead of from..to (keys of several shards, grouped). */
  picks: readonly number[] | null;
  onReply: ReplyCallback;
}

export class AtomicRun {
  /** Commands of the step being gathered, by shard. */
  private readonly step = new Map<number, QueuedCommand[]>();
  /** Shards that applied a part of this run (their undo records hold it). */
  private readonly applied = new Set<number>();
  failedShard = -1;

  /** `undoable` false: commands go as they are, not as commit parts (no undo records): for
   * commands of one shard, which that shard runs back to back anyway. */
  constructor(
    private readonly shards: readonly ShardHandle[],
    readonly txId: number,
    readonly resp3: boolean,
    private readonly undoable = true,
  ) {}

  /** Queues a command with the arguments `args` number `from` to `to` for `shard`'s part of
   * the next step. */
  add(
    shard: number,
    code: number,
    args: ArgRanges,
    from: number,
    to: number,
    onReply: ReplyCallback,
    picks: readonly number[] | null = null,
  ) {
    let part = this.step.get(shard);
    if (part === undefined) {
      part = [];
      this.step.set(shard, part);
    }
    part.push({ code, args, from, to, picks, onReply });
  }

  get hasStep(): boolean {
    return this.step.size > 0;
  }

  /** Sends the step gathered so far; `answered` runs once every shard of it has answered
   * (`failedShard` says whether one failed; then no reply callback of its part ran). */
  send(answered: () => void): void {
    let unanswered = this.step.size;
    if (unanswered === 0) {
      answered();
      return;
    }
    for (const [shard, commands] of this.step) {
      this.sendPart(shard, commands, (ok) => {
        if (ok) this.applied.add(shard);
        else if (this.failedShard === -1) this.failedShard = shard;
        if (--unanswered === 0) answered();
      });
    }
    this.step.clear();
  }

  /** Ends the run: shards drop their undo records, or, after a failure, undo their parts;
   * `done` runs when that is settled (at once on success: the records ride along later). */
  finish(done: () => void): void {
    if (!this.undoable) {
      done();
      return;
    }
    if (this.failedShard === -1) {
      for (const shard of this.applied) {
        (this.shards[shard] as ShardHandle).addRider(OpCode.txForget, this.txId);
      }
      done();
      return;
    }
    let unanswered = this.applied.size;
    if (unanswered === 0) {
      done();
      return;
    }
    // A shard that fails during its undo lost its keys anyway: either answer ends the wait.
    const answered = () => {
      if (--unanswered === 0) done();
    };
    for (const shard of this.applied) {
      const handle = this.shards[shard] as ShardHandle;
      handle.batch.addControlOp(OpCode.txUndo, this.txId, 0, {
        resolve: answered,
        reject: answered,
      });
      handle.scheduleFlush();
    }
  }

  private sendPart(shard: number, commands: QueuedCommand[], answered: (ok: boolean) => void) {
    const handle = this.shards[shard] as ShardHandle;
    let partBytes = 0;
    for (const command of commands) {
      const { args, picks } = command;
      if (picks === null) {
        for (let i = command.from; i < command.to; i++) {
          partBytes += 4 + (args.ends[i] as number) - (args.starts[i] as number);
        }
      } else {
        for (const i of picks)
          partBytes += 4 + (args.ends[i] as number) - (args.starts[i] as number);
      }
    }
    // The whole part goes in one batch: the shard reads its commands right after its txApply.
    const batch = handle.batchFor(partBytes, 0);
    // Rows of a part are answered together (a failed shard rejects every row): the last
    // command's answer settles the part.
    if (this.undoable) batch.addControlOp(OpCode.txApply, this.txId, commands.length, null);
    const last = commands.length - 1;
    commands.forEach((command, index) => {
      const sink: OpSink = {
        resolve: (bytes, start, end) => {
          command.onReply(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start));
          if (index === last) answered(true);
        },
        reject: () => {
          if (index === last) answered(false);
        },
      };
      if (command.picks === null) {
        batch.addCommandOp(command.code, this.resp3, command.args, command.from, command.to, sink);
      } else {
        batch.addPickedCommandOp(command.code, this.resp3, command.args, command.picks, sink);
      }
    });
    handle.scheduleFlush();
  }
}
