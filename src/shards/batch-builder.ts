/**
 * Gathers the operations for one shard during an event-loop turn as rows of integers
 * (shard-messages.ts) and a run of key and value bytes, instead of one object per operation, so
 * a batch costs one cheap message however many operations it carries (bench/run.ts, P=16).
 * When it is sent, it is copied into the shard's shared slot (layout: batch-slots.ts) while
 * this builder keeps its buffers. Keys and values are copied out of the socket's chunk
 * into the batch, so nothing the shard keeps can pin a socket buffer, and the chunk can be
 * reused at once.
 */
import { replyBytesPerValueByteMax } from '../config/options.js';
import { copyRange } from '../protocol/byte-ranges.js';
import { type BatchSlot, requestBytesNeeded, writeRequest } from './batch-slots.js';
import { commandResp3Flag, OpCode, opFieldCount } from './shard-messages.js';

/** Arguments as byte ranges: argument i is `bytes[starts[i], ends[i])`. */
export interface ArgRanges {
  readonly bytes: Buffer;
  readonly starts: ArrayLike<number>;
  readonly ends: ArrayLike<number>;
}

/** Receives the reply of one operation; `reject` when its shard failed before answering. */
export interface OpSink {
  /** The reply is `bytes[start, end)`, a range rather than a view: a client's replies are
   * copied into one buffer per write anyway, so a view per reply was an allocation for nothing
   * (P=16: main thread 1.26 -> 1.23 us/op, 4 alternating runs of bench/run.ts --single).
   * `bytes` is never changed. */
  resolve(bytes: Uint8Array, start: number, end: number): void;
  reject(message: string): void;
}

const initialRows = 256;
const initialBytes = 16 * 1024;
/** After a batch that carried a huge value, the buffer shrinks back rather than hold it. */
const keptBytesMax = 4 * 1024 * 1024;

export class BatchBuilder {
  private ops = new Int32Array(initialRows * opFieldCount);
  private bytes: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  private rowCount = 0;
  /** Rows that are not riders (addRiderOp): while there are none, the batch need not go. */
  private dueRowCount = 0;
  private byteCount = 0;
  /** The largest reply a value PUT in this batch could make, in bytes (ShardHandle's bound). */
  largestValueBytes = 0;
  /** What this batch's GETs may reply, in bytes, at their bound (ShardHandle.batchFor). */
  replyBytesBound = 0;
  /** One entry per row; null for rows whose reply nobody awaits. */
  private sinks: Array<OpSink | null> = [];

  get isEmpty(): boolean {
    return this.rowCount === 0;
  }

  /** True when some row is more than a rider: the batch should go as soon as it can. */
  get isDue(): boolean {
    return this.dueRowCount > 0;
  }

  /** GET or DEL of the key `line[keyStart, keyEnd)`. */
  addKeyOp(code: OpCode, line: Buffer, keyStart: number, keyEnd: number, sink: OpSink | null) {
    const at = this.addRow(code, sink);
    this.ops[at + 1] = this.byteCount;
    this.copy(line, keyStart, keyEnd);
    this.ops[at + 2] = this.byteCount;
  }

  /** PUT (or a commit's buffered PUT) of the key `source[keyStart, keyEnd)` = the value
   * `source[valueStart, valueEnd)`. Ranges rather than subarrays: every view made per command
   * costs (bench/run.ts, the transaction mix). */
  addPutOp(
    code: OpCode,
    source: Uint8Array,
    keyStart: number,
    keyEnd: number,
    valueStart: number,
    valueEnd: number,
    sink: OpSink | null,
  ): void {
    const at = this.addRow(code, sink);
    this.ops[at + 1] = this.byteCount;
    this.copy(source, keyStart, keyEnd);
    this.ops[at + 2] = this.byteCount;
    this.ops[at + 3] = this.byteCount;
    this.copy(source, valueStart, valueEnd);
    this.ops[at + 4] = this.byteCount;
    // Worst case of its reply (every byte a control character, escaped as \u00XX): it only
    // counts until the shard answers with its exact bound.
    const replyBytesMax = (valueEnd - valueStart) * replyBytesPerValueByteMax;
    if (replyBytesMax > this.largestValueBytes) this.largestValueBytes = replyBytesMax;
  }

  /**
   * A command of the shared model with the arguments `args` number `from` to `to` (exclusive):
   * each goes as its byte length (uint32, little-endian) and its bytes.
   */
  addCommandOp(
    command: number,
    resp3: boolean,
    args: ArgRanges,
    from: number,
    to: number,
    sink: OpSink | null,
  ): void {
    const at = this.addRow(OpCode.command, sink);
    this.ops[at + 1] = this.byteCount;
    for (let i = from; i < to; i++) this.addArg(args, i);
    this.ops[at + 2] = this.byteCount;
    this.ops[at + 3] = command | (resp3 ? commandResp3Flag : 0);
    this.ops[at + 4] = to - from;
  }

  /** As addCommandOp, with the arguments `args` numbered in `picks` (an MSET's pairs that
   * live on one shard). */
  addPickedCommandOp(
    command: number,
    resp3: boolean,
    args: ArgRanges,
    picks: readonly number[],
    sink: OpSink | null,
  ): void {
    const at = this.addRow(OpCode.command, sink);
    this.ops[at + 1] = this.byteCount;
    for (const i of picks) this.addArg(args, i);
    this.ops[at + 2] = this.byteCount;
    this.ops[at + 3] = command | (resp3 ? commandResp3Flag : 0);
    this.ops[at + 4] = picks.length;
  }

  private addArg(args: ArgRanges, i: number): void {
    const start = args.starts[i] as number;
    const end = args.ends[i] as number;
    this.reserveBytes(4 + end - start);
    this.bytes.writeUInt32LE(end - start, this.byteCount);
    this.byteCount += 4;
    this.copy(args.bytes, start, end);
  }

  /** An operation with only integer arguments (txApply, txUndo, crash, collectGarbage). */
  addControlOp(code: OpCode, a: number, b: number, sink: OpSink | null): void {
    const at = this.addRow(code, sink);
    this.ops[at + 1] = a;
    this.ops[at + 2] = b;
  }

  /**
   * A row nobody waits for and that may wait for the next batch that goes anyway (a commit's
   * txForget): it does not make the batch due. In the transaction mix over a third of all
   * batches carried only such rows, each a round trip of thread wake-ups for nothing
   * (bench/run.ts, the transaction mix).
   */
  addRiderOp(code: OpCode, a: number): void {
    this.addControlOp(code, a, 0, null);
    this.dueRowCount--;
  }

  /** Key and value bytes the batch carries. */
  get requestBytes(): number {
    return this.byteCount;
  }

  /** Bytes the batch takes in a request slot. */
  get slotBytesNeeded(): number {
    return requestBytesNeeded(this.rowCount, this.byteCount);
  }

  /** Writes the batch into `slot` (at least `slotBytesNeeded` big), with the data the shard
   * is to evict before running it, starts an empty one, and returns the sinks of the batch's
   * rows, in order. */
  moveInto(slot: BatchSlot, evictBytes: number): Array<OpSink | null> {
    writeRequest(slot, this.ops, this.rowCount, this.bytes, this.byteCount, evictBytes);
    const sinks = this.sinks;
    this.sinks = [];
    this.rowCount = 0;
    this.dueRowCount = 0;
    this.byteCount = 0;
    this.largestValueBytes = 0;
    this.replyBytesBound = 0;
    if (this.bytes.length > keptBytesMax) this.bytes = Buffer.allocUnsafeSlow(initialBytes);
    return sinks;
  }

  private addRow(code: OpCode, sink: OpSink | null): number {
    const at = this.rowCount * opFieldCount;
    if (at + opFieldCount > this.ops.length) {
      const grown = new Int32Array(this.ops.length * 2);
      grown.set(this.ops);
      this.ops = grown;
    }
    this.ops[at] = code;
    this.rowCount++;
    this.dueRowCount++;
    this.sinks.push(sink);
    return at;
  }

  private copy(source: Uint8Array, start: number, end: number): void {
    this.reserveBytes(end - start);
    copyRange(source, start, end, this.bytes, this.byteCount);
    this.byteCount += end - start;
  }

  private reserveBytes(extra: number): void {
    const needed = this.byteCount + extra;
    if (needed > this.bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.bytes.length * 2));
      this.bytes.copy(grown, 0, 0, this.byteCount);
      this.bytes = grown;
    }
  }
}
