/**
 * How each command of several keys or of the whole keyspace becomes shard commands, and how
 * their replies become the one reply its client gets. A plan adds its commands to an
 * AtomicRun one step at a time; most need one step, a RENAME or MSETNX whose keys live on two
 * shards needs two (read, then write), all under the same locks.
 */
import { argsOf, type CommandCall } from '../commands/command-call.js';
import { CommandCode } from '../commands/command-codes.js';
import {
  respArrayHeaderText,
  respBytes,
  respErrorBytes,
  respNullBytes,
  respOkBytes,
} from '../protocol/resp-reply.js';
import {
  arrayElements,
  bulkBytesOf,
  integerOf,
  isError,
  isNil,
} from '../protocol/resp-reply-reader.js';
import type { ShardRouter } from '../shards/shard-router.js';
import type { AtomicRun } from './atomic-run.js';

export interface Plan {
  readonly stepCount: number;
  addStep(step: number, run: AtomicRun): void;
  /** The client's reply, once every step has answered. */
  reply(): Buffer;
}

export interface PlanContext {
  readonly router: ShardRouter;
  readonly shardCount: number;
  readonly resp3: boolean;
}

/** A reply known before anything runs (an error in the call's arguments): no shard command. */
export class FixedReplyPlan implements Plan {
  readonly stepCount = 1;
  constructor(readonly answer: Buffer) {}
  addStep(): void {}
  reply(): Buffer {
    return this.answer;
  }
}

/** The shard of the call's argument `index` (a key). */
export function shardOfArg(call: CommandCall, index: number, router: ShardRouter): number {
  const { args } = call;
  return router.shardOfStripe(
    router.stripeOf(args.bytes, args.starts[index] as number, args.ends[index] as number),
  );
}

/** Whole on the key's shard: a one-key command inside MULTI, or keys all on one shard. */
class OneShardPlan implements Plan {
  readonly stepCount = 1;
  private answer = respOkBytes;
  constructor(
    private readonly call: CommandCall,
    private readonly shard: number,
    private readonly code: number,
  ) {}
  addStep(_step: number, run: AtomicRun): void {
    run.add(this.shard, this.code, this.call.args, 1, this.call.count, (reply) => {
      this.answer = reply;
    });
  }
  reply(): Buffer {
    return this.answer;
  }
}

/**
 * MGET, MSET, DEL, UNLINK, EXISTS: one shard command per shard, carrying the keys (or pairs)
 * that live there, not one per key: an MSET of 10 keys was 10 shard commands, and 0.06x
 * Redis at redis-benchmark -P 16 (bench/run.ts --redis-benchmark).
 */
class GroupedPlan implements Plan {
  readonly stepCount = 1;
  /** Per shard: its replies' places among the keys (MGET puts values back in order). */
  private readonly places = new Map<number, number[]>();
  private readonly replies = new Map<number, Buffer>();
  constructor(
    private readonly call: CommandCall,
    private readonly context: PlanContext,
  ) {}
  addStep(_step: number, run: AtomicRun): void {
    const { call } = this;
    const width = call.spec.keyStep;
    const picksByShard = new Map<number, number[]>();
    for (let i = 1, place = 0; i < call.count; i += width, place++) {
      const shard = shardOfArg(call, i, this.context.router);
      let picks = picksByShard.get(shard);
      if (picks === undefined) {
        picks = [];
        picksByShard.set(shard, picks);
        this.places.set(shard, []);
      }
      for (let w = 0; w < width; w++) picks.push(i + w);
      (this.places.get(shard) as number[]).push(place);
    }
    for (const [shard, picks] of picksByShard) {
      run.add(
        shard,
        call.spec.code,
        call.args,
        0,
        0,
        (reply) => this.replies.set(shard, reply),
        picks,
      );
    }
  }
  reply(): Buffer {
    const replies = [...this.replies.values()];
    switch (this.call.spec.name) {
      case 'mget':
        return this.inKeyOrder();
      case 'mset':
        return firstErrorOrOk(replies);
      default:
        return sumOf(replies);
    }
  }
  /** MGET: each shard's values, put back where their keys were. */
  private inKeyOrder(): Buffer {
    const values: Buffer[] = new Array((this.call.count - 1) / this.call.spec.keyStep);
    for (const [shard, reply] of this.replies) {
      const places = this.places.get(shard) as number[];
      const elements = arrayElements(reply);
      places.forEach((place, index) => {
        values[place] = elements[index] as Buffer;
      });
    }
    return arrayOf(values);
  }
}

function arrayOf(replies: Buffer[]): Buffer {
  return Buffer.concat([respBytes(respArrayHeaderText(replies.length)), ...replies]);
}

function sumOf(replies: Buffer[]): Buffer {
  let sum = 0;
  for (const reply of replies) {
    if (isError(reply)) return reply;
    sum += integerOf(reply) ?? 0;
  }
  return respBytes(`:${sum}\r\n`);
}

function firstErrorOrOk(replies: Buffer[]): Buffer {
  return replies.find(isError) ?? respOkBytes;
}

/** MSETNX across shards: are all keys new (step 0)? then set them all (step 1). */
class MsetNxPlan implements Plan {
  readonly stepCount = 2;
  private existing = 0;
  private answer = respBytes(':0\r\n');
  constructor(
    private readonly call: CommandCall,
    private readonly context: PlanContext,
  ) {}
  addStep(step: number, run: AtomicRun): void {
    const { call, context } = this;
    for (let i = 1; i < call.count; i += 2) {
      const shard = shardOfArg(call, i, context.router);
      if (step === 0) {
        run.add(shard, CommandCode.exists, call.args, i, i + 1, (reply) => {
          this.existing += integerOf(reply) ?? 1;
        });
      } else if (this.existing === 0) {
        run.add(shard, CommandCode.set, call.args, i, i + 2, () => {});
        this.answer = respBytes(':1\r\n');
      }
    }
  }
  reply(): Buffer {
    return this.answer;
  }
}

/** RENAME or RENAMENX across shards: read the value and its expiry (step 0), then write it
 * under the new name and delete the old (step 1). */
class MovePlan implements Plan {
  readonly stepCount = 2;
  private dumped: Buffer = respNullBytes(false);
  private targetExists = false;
  private answer: Buffer = respOkBytes;
  constructor(
    private readonly call: CommandCall,
    private readonly context: PlanContext,
    private readonly onlyIfNew: boolean,
  ) {}
  addStep(step: number, run: AtomicRun): void {
    const { call, context } = this;
    const from = shardOfArg(call, 1, context.router);
    const to = shardOfArg(call, 2, context.router);
    if (step === 0) {
      run.add(from, CommandCode.dumpValue, call.args, 1, 2, (reply) => {
        this.dumped = reply;
      });
      if (this.onlyIfNew) {
        run.add(to, CommandCode.exists, call.args, 2, 3, (reply) => {
          this.targetExists = integerOf(reply) === 1;
        });
      }
      return;
    }
    if (isNil(this.dumped)) {
      this.answer = respErrorBytes('ERR no such key');
      return;
    }
    if (this.onlyIfNew && this.targetExists) {
      this.answer = respBytes(':0\r\n');
      return;
    }
    const [value, expireAt] = arrayElements(this.dumped) as [Buffer, Buffer];
    const target = call.args.bytes.subarray(call.args.starts[2], call.args.ends[2]);
    const restore = argsOf([target, bulkBytesOf(value), String(integerOf(expireAt) ?? 0)]);
    run.add(to, CommandCode.restoreValue, restore, 0, 3, () => {});
    run.add(from, CommandCode.del, call.args, 1, 2, () => {});
    this.answer = this.onlyIfNew ? respBytes(':1\r\n') : respOkBytes;
  }
  reply(): Buffer {
    return this.answer;
  }
}

/** A command on every shard, its replies combined: KEYS, DBSIZE, FLUSHALL, RANDOMKEY. */
class EveryShardPlan implements Plan {
  readonly stepCount = 1;
  private readonly replies: Buffer[] = [];
  constructor(
    private readonly call: CommandCall,
    private readonly context: PlanContext,
    private readonly combine: (replies: Buffer[]) => Buffer,
  ) {}
  addStep(_step: number, run: AtomicRun): void {
    const { call } = this;
    // KEYS sends its pattern; the others send no argument.
    const to = call.spec.code === CommandCode.keys ? 2 : 1;
    for (let shard = 0; shard < this.context.shardCount; shard++) {
      this.replies.push(respOkBytes);
      run.add(shard, call.spec.code, call.args, 1, to, (reply) => {
        this.replies[shard] = reply;
      });
    }
  }
  reply(): Buffer {
    return this.combine(this.replies);
  }
}

function mergedArrays(replies: Buffer[]): Buffer {
  const elements = replies.flatMap((reply) => arrayElements(reply));
  return arrayOf(elements);
}

/** RANDOMKEY: each shard offers its size and a key; one is picked, weighted by size. */
function randomPick(resp3: boolean) {
  return (replies: Buffer[]): Buffer => {
    const offers = replies.map((reply) => arrayElements(reply) as [Buffer, Buffer]);
    let total = 0;
    for (const [size] of offers) total += integerOf(size) ?? 0;
    let pick = Math.random() * total;
    for (const [size, key] of offers) {
      pick -= integerOf(size) ?? 0;
      if (pick < 0 && !isNil(key)) return key;
    }
    const anyKey = offers.find(([, key]) => !isNil(key));
    return anyKey?.[1] ?? respNullBytes(resp3);
  };
}

/** SCAN: one step on the shard the cursor points at; cursors are `shard cursor * shards +
 * shard`, so 0 starts at shard 0 and a shard's last step points at the next shard's start. */
class ScanPlan implements Plan {
  readonly stepCount = 1;
  private answer: Buffer = respOkBytes;
  constructor(
    private readonly cursor: bigint,
    private readonly countText: string,
    private readonly pattern: string,
    private readonly type: string,
    private readonly context: PlanContext,
  ) {}
  addStep(_step: number, run: AtomicRun): void {
    const shards = BigInt(this.context.shardCount);
    const shard = Number(this.cursor % shards);
    const shardCursor = (this.cursor / shards).toString();
    const args = argsOf([shardCursor, this.countText, this.pattern, this.type]);
    run.add(shard, CommandCode.scan, args, 0, 4, (reply) => {
      const [next, keys] = arrayElements(reply) as [Buffer, Buffer];
      const nextShardCursor = BigInt(bulkBytesOf(next).toString('latin1'));
      let cursor = 0n;
      if (nextShardCursor !== 0n) cursor = nextShardCursor * shards + BigInt(shard);
      else if (shard + 1 < this.context.shardCount) cursor = BigInt(shard + 1);
      const text = cursor.toString();
      this.answer = Buffer.concat([respBytes(`*2\r\n$${text.length}\r\n${text}\r\n`), keys]);
    });
  }
  reply(): Buffer {
    return this.answer;
  }
}

/** SCAN's arguments checked as Redis checks them; an error reply, or the plan. */
function scanPlan(call: CommandCall, context: PlanContext, text: (i: number) => string): Plan {
  const cursorText = text(1);
  if (!/^\d{1,20}$/.test(cursorText) || BigInt(cursorText) >= 2n ** 64n) {
    return new FixedReplyPlan(respErrorBytes('ERR invalid cursor'));
  }
  let count = '10';
  let pattern = '';
  let type = '';
  for (let i = 2; i < call.count; i += 2) {
    const option = text(i).toUpperCase();
    if (i + 1 >= call.count) return new FixedReplyPlan(respErrorBytes('ERR syntax error'));
    const value = text(i + 1);
    if (option === 'COUNT') {
      if (!/^-?\d{1,19}$/.test(value)) {
        return new FixedReplyPlan(respErrorBytes('ERR value is not an integer or out of range'));
      }
      if (Number(value) < 1) return new FixedReplyPlan(respErrorBytes('ERR syntax error'));
      count = value;
    } else if (option === 'MATCH') {
      pattern = value;
    } else if (option === 'TYPE') {
      type = value;
    } else {
      return new FixedReplyPlan(respErrorBytes('ERR syntax error'));
    }
  }
  return new ScanPlan(BigInt(cursorText), count, pattern, type, context);
}

/** The plan of a `keys` or `keyspace` call (or any call inside MULTI), or an error reply
 * found before anything runs. `text(i)` is argument i as a byte string. */
export function planFor(
  call: CommandCall,
  context: PlanContext,
  text: (i: number) => string,
): Plan {
  const { spec } = call;
  if (call.fixedReply !== undefined) return new FixedReplyPlan(call.fixedReply);
  switch (spec.name) {
    case 'mget':
      return new GroupedPlan(call, context);
    case 'mset':
      if (call.count % 2 === 0) return new FixedReplyPlan(arityError(spec.name));
      return new GroupedPlan(call, context);
    case 'del':
    case 'unlink':
    case 'exists':
      return new GroupedPlan(call, context);
    case 'msetnx': {
      if (call.count % 2 === 0) return new FixedReplyPlan(arityError(spec.name));
      const first = shardOfArg(call, 1, context.router);
      for (let i = 3; i < call.count; i += 2) {
        if (shardOfArg(call, i, context.router) !== first) return new MsetNxPlan(call, context);
      }
      return new OneShardPlan(call, first, CommandCode.msetnx);
    }
    case 'rename':
    case 'renamenx': {
      const from = shardOfArg(call, 1, context.router);
      if (from === shardOfArg(call, 2, context.router)) {
        return new OneShardPlan(call, from, spec.code);
      }
      return new MovePlan(call, context, spec.name === 'renamenx');
    }
    case 'keys':
      return new EveryShardPlan(call, context, mergedArrays);
    case 'dbsize':
      return new EveryShardPlan(call, context, sumOf);
    case 'randomkey':
      return new EveryShardPlan(call, context, randomPick(context.resp3));
    case 'flushall':
    case 'flushdb': {
      const mode = call.count > 1 ? text(1).toUpperCase() : 'SYNC';
      if (call.count > 2 || (mode !== 'SYNC' && mode !== 'ASYNC')) {
        return new FixedReplyPlan(respErrorBytes('ERR syntax error'));
      }
      return new EveryShardPlan(call, context, firstErrorOrOk);
    }
    case 'scan':
      return scanPlan(call, context, text);
    default:
      return new OneShardPlan(call, shardOfArg(call, 1, context.router), spec.code);
  }
}

export function arityError(name: string): Buffer {
  return respErrorBytes(`ERR wrong number of arguments for '${name}' command`);
}
