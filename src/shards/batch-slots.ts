/**
 * The shared memory a batch and its replies travel in between the main thread and one shard
 * thread, so the port message itself is just the batch's number.
 *
 * Each shard has one request slot and one reply slot per batch that may be in flight
 * (`shardBatchesInFlightMax`); batch `seq` uses the pair `seq % slotCount`. A slot is reused
 * only after its previous batch was answered and its replies copied out, so neither side ever
 * writes memory the other is still reading. Posting on the port after writing a slot, and
 * reading the slot after the message arrived, orders the two threads' accesses.
 *
 * Why not transfer the arrays as before: a round trip of an object with two transferred arrays
 * each way cost ~60 µs of CPU on this 2-core VM, a round trip of a number ~40 (allocation,
 * serialization and detaching of four buffers per batch; bench/run.ts, the transaction mix,
 * where every commit is a batch on each of its shards).
 *
 * A batch that does not fit its request slot gets a new, larger one, announced with the batch's
 * number (SlotNotice); a slot grown past `slotBytesKeptMax` is replaced by a small one at its
 * next use, so one huge value does not pin its memory.
 *
 * Replies that do not fit their slot (large values) come back as before this design: laid out
 * like a reply slot in an ArrayBuffer of their own, transferred with the batch's number
 * (ReplyNotice), and used in place by the main thread. Copying them out of shared memory on the
 * main thread instead cost it 60 % more CPU per GET of 64 KiB values (bench/run.ts --full).
 */
import { opFieldCount } from './shard-messages.js';

/** Size of a new slot, in bytes: a few hundred single commands or commits fit. */
export const slotBytesInitial = 256 * 1024;
/** A slot that grew past this many bytes is replaced by a new small one at its next use. */
const slotBytesKeptMax = 4 * 1024 * 1024;

/** Main to shard: the number of the batch now in its request slot, with the new slot's memory
 * when it had to be replaced. */
export type SlotNotice = number | [seq: number, replacedSlot: SharedArrayBuffer];

/** Shard to main: the number of the batch whose replies are in its reply slot, or the replies
 * themselves when they did not fit it (transferred, laid out like a reply slot). */
export type ReplyNotice = number | [seq: number, replies: ArrayBuffer];

export class BatchSlot<Memory extends ArrayBufferLike = SharedArrayBuffer> {
  /** Headers and reply ends: unsigned, as a batch's replies may pass 2 GiB. */
  readonly ints: Uint32Array;
  /** The same memory as the request rows' type, so rows are copied, not converted. */
  readonly rows: Int32Array;
  readonly bytes: Buffer;

  /** `memory` is shared, except for replies handed over whole (ReplyNotice). */
  constructor(readonly memory: Memory) {
    this.ints = new Uint32Array(memory);
    this.rows = new Int32Array(memory);
    this.bytes = Buffer.from(memory);
  }

  /** A new shared slot of at least `bytes` bytes (a power of two, so growth stays rare). */
  static ofAtLeast(bytes: number): BatchSlot {
    let size = slotBytesInitial;
    while (size < bytes) size *= 2;
    return new BatchSlot(new SharedArrayBuffer(size));
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Whether this slot should be replaced before carrying `bytes` bytes. */
  unfitFor(bytes: number): boolean {
    return bytes > this.size || (this.size > slotBytesKeptMax && bytes <= slotBytesKeptMax);
  }
}

export function slotIndexOf(seq: number, slotCount: number): number {
  return seq % slotCount;
}

export function seqOf(notice: SlotNotice | ReplyNotice): number {
  return typeof notice === 'number' ? notice : notice[0];
}

/*
 * A request slot: [opCount, byteCount, evictBytes low and high 32 bits] as 32-bit words, then
 * opCount rows of opFieldCount int32 (shard-messages.ts), then byteCount bytes of keys and
 * values the rows point into. evictBytes: data the shard frees before it runs the rows
 * (src/coordinator/eviction-budget.ts).
 */
const requestHeaderInts = 4;
const twoTo32 = 2 ** 32;

export function requestBytesNeeded(opCount: number, byteCount: number): number {
  return (requestHeaderInts + opCount * opFieldCount) * 4 + byteCount;
}

export function writeRequest(
  slot: BatchSlot,
  ops: Int32Array,
  opCount: number,
  bytes: Uint8Array,
  byteCount: number,
  evictBytes: number,
): void {
  slot.ints[0] = opCount;
  slot.ints[1] = byteCount;
  slot.ints[2] = evictBytes % twoTo32;
  slot.ints[3] = Math.floor(evictBytes / twoTo32);
  const rowInts = opCount * opFieldCount;
  slot.rows.set(ops.subarray(0, rowInts), requestHeaderInts);
  slot.bytes.set(bytes.subarray(0, byteCount), (requestHeaderInts + rowInts) * 4);
}

interface RequestView {
  opCount: number;
  ops: Int32Array;
  /** Keys and values; the rows' offsets count from its start. */
  bytes: Buffer;
  /** Data to evict before the rows run. */
  evictBytes: number;
}

export function readRequest(slot: BatchSlot): RequestView {
  const opCount = slot.ints[0] as number;
  const byteCount = slot.ints[1] as number;
  const rowInts = opCount * opFieldCount;
  const bytesStart = (requestHeaderInts + rowInts) * 4;
  return {
    opCount,
    ops: slot.rows.subarray(requestHeaderInts, requestHeaderInts + rowInts),
    bytes: slot.bytes.subarray(bytesStart, bytesStart + byteCount),
    evictBytes: (slot.ints[2] as number) + (slot.ints[3] as number) * twoTo32,
  };
}

/*
 * A reply slot: [replyCount, byteCount, largestReplyBytes, dataBytes low and high 32 bits, keys,
 * volatileKeys] as uint32, then replyCount uint32 end offsets (reply i is bytes[end(i-1),
 * end(i))), then the reply lines, already formatted. dataBytes, keys and volatileKeys are the
 * shard's data after the batch (ShardDataReport, for eviction-budget.ts).
 */
const replyHeaderInts = 7;

/** What a shard holds after a batch (workers/shard-store.ts counts it). */
export interface ShardDataReport {
  /** Key and value bytes plus an estimated overhead per key. */
  dataBytes: number;
  keys: number;
  volatileKeys: number;
}

/** Byte offset of the reply lines in a slot that holds `replyCount` replies. */
export function replyBytesStart(replyCount: number): number {
  return (replyHeaderInts + replyCount) * 4;
}

export function writeReplyHeader(
  slot: BatchSlot<ArrayBufferLike>,
  replyCount: number,
  byteCount: number,
  largestReplyBytes: number,
  data: ShardDataReport,
): void {
  slot.ints[0] = replyCount;
  slot.ints[1] = byteCount;
  slot.ints[2] = largestReplyBytes;
  slot.ints[3] = data.dataBytes % twoTo32;
  slot.ints[4] = Math.floor(data.dataBytes / twoTo32);
  slot.ints[5] = data.keys;
  slot.ints[6] = data.volatileKeys;
}

export function writeReplyEnd(slot: BatchSlot<ArrayBufferLike>, index: number, end: number): void {
  slot.ints[replyHeaderInts + index] = end;
}

export interface ReplyView {
  largestReplyBytes: number;
  data: ShardDataReport;
  /** End offset of each reply in `bytes` (a copy: the slot may be reused while they are
   * delivered). */
  ends: Uint32Array;
  /** The reply lines, which outlive a reused slot in clients' reply queues: copied out of a
   * shared slot, used in place in replies handed over whole. */
  bytes: Buffer;
}

export function readReplies(slot: BatchSlot<ArrayBufferLike>, handedOver: boolean): ReplyView {
  const replyCount = slot.ints[0] as number;
  const byteCount = slot.ints[1] as number;
  const start = replyBytesStart(replyCount);
  let bytes: Buffer;
  if (handedOver) {
    bytes = slot.bytes.subarray(start, start + byteCount);
  } else {
    bytes = Buffer.allocUnsafe(byteCount);
    slot.bytes.copy(bytes, 0, start, start + byteCount);
  }
  return {
    largestReplyBytes: slot.ints[2] as number,
    data: {
      dataBytes: (slot.ints[3] as number) + (slot.ints[4] as number) * twoTo32,
      keys: slot.ints[5] as number,
      volatileKeys: slot.ints[6] as number,
    },
    ends: slot.ints.slice(replyHeaderInts, replyHeaderInts + replyCount),
    bytes,
  };
}
