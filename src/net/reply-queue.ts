/**
 * One client's replies, in the order its commands arrived (SPEC.md section 3), whatever order
 * the shards answer in. A command a shard answers reserves a slot when it is dispatched, filled
 * by the shard's answer; a reply known at once (an error the main thread finds itself, a
 * transaction's Ok) is queued as it is. The ready prefix is written out together once per
 * tick, so a pipelined burst costs one socket write.
 */

import { copyRange } from '../protocol/byte-ranges.js';
import { errorReplyBytes } from '../protocol/reply-format.js';
import type { OpSink } from '../shards/batch-builder.js';

/** Ready replies held back while a later one is owed; past this they are written at once. */
const heldReplyBytesMax = 64 * 1024;
/** Ready replies up to this many bytes in all are joined into one buffer for one write call;
 * larger runs go out as they are, in one writev (bench/run.ts --full, 64 KiB values). */
const joinedReplyBytesMax = 64 * 1024;

/** Watches replies become ready (src/metrics/reply-meter.ts, with --metrics-port). */
export interface ReplyMeterHook {
  /** The clock, in ms: when a command that reserved a slot was parsed. */
  now(): number;
  /** The reply at `bytes[start]` is ready; its command was parsed at `sinceMs`. */
  ready(bytes: Uint8Array, start: number, sinceMs: number): void;
}

export class ReplySlot implements OpSink {
  /** The reply is `bytes[start, end)` once known; null until then. */
  bytes: Uint8Array | null = null;
  start = 0;
  end = 0;
  /** Bytes this reply may take once its shard formats it (see expectedBytesPending). */
  expectedBytes = 0;
  /** When its command was parsed (ReplyMeterHook.now), with a meter. */
  sinceMs = 0;
  private readonly queue: ReplyQueue;

  constructor(queue: ReplyQueue) {
    this.queue = queue;
  }

  resolve(bytes: Uint8Array, start: number, end: number): void {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    const meter = this.queue.meter;
    if (meter !== null) meter.ready(bytes, start, this.sinceMs);
    this.queue.scheduleFlush();
  }

  reject(message: string): void {
    const reply = this.queue.errorReply(message);
    this.resolve(reply, 0, reply.length);
  }
}

export class ReplyQueue {
  /** In order: a slot for each reply owed or formatted by a shard, the bytes themselves for a
   * reply known at once (no object per ready reply: a transaction of 4 writes has 5 of them;
   * bench/run.ts, the transaction mix). */
  private slots: Array<ReplySlot | Uint8Array> = [];
  private head = 0;
  private flushScheduled = false;
  private expectedBytes = 0;
  private readonly write: (chunks: Uint8Array[]) => void;
  private readonly flushNow = () => this.flush();

  /** `write` gets each run of ready replies, in order: one buffer when they were joined. */
  constructor(write: (chunks: Uint8Array[]) => void) {
    this.write = write;
  }

  /** How an error the main thread finds (a shard that failed) reads in the client's protocol:
   * a JSON line until the connection turns out to speak RESP (resp-session.ts). */
  errorReply: (message: string) => Uint8Array = errorReplyBytes;

  /** Times and sorts the replies (--metrics-port); null: nothing is measured. */
  meter: ReplyMeterHook | null = null;

  /** Commands dispatched whose reply has not been written yet. */
  get pendingCount(): number {
    return this.slots.length - this.head;
  }

  /** Bytes the replies owed may take, as far as the connection announced them
   * (`expectLastReplyBytes`): what the shards may still format for this client. */
  get expectedBytesPending(): number {
    return this.expectedBytes;
  }

  /** Announces how large the reply of the slot reserved last may get (a GET of a large value),
   * so the connection can stop reading before the shards build more than the client can take. */
  expectLastReplyBytes(bytes: number): void {
    const slot = this.slots[this.slots.length - 1];
    if (!(slot instanceof ReplySlot) || this.pendingCount === 0) return;
    this.expectedBytes += bytes - slot.expectedBytes;
    slot.expectedBytes = bytes;
  }

  reserve(): ReplySlot {
    const slot = new ReplySlot(this);
    if (this.meter !== null) slot.sinceMs = this.meter.now();
    this.slots.push(slot);
    return slot;
  }

  /** A reply known at once (an error the main thread found, PING, a transaction's own read). */
  push(reply: Uint8Array): void {
    if (this.meter !== null) this.meter.ready(reply, 0, this.meter.now());
    this.slots.push(reply);
    this.scheduleFlush();
  }

  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    process.nextTick(this.flushNow);
  }

  /**
   * Writes the ready prefix. While a later reply is still owed (a pipelined burst answered by
   * several shards, or the Oks of a transaction before its COMMIT's), the prefix is held, up to
   * `heldReplyBytesMax`, so the burst leaves in one write: one system call instead of one per
   * shard answer (bench/run.ts, P=16 and the transaction mix). The hold is short: every owed
   * reply is already on its way to a shard, or waits for a commit that only waits on shards.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (this.shouldHold()) return;
    let readyEnd = this.head;
    let readyBytes = 0;
    for (; readyEnd < this.slots.length; readyEnd++) {
      const slot = this.slots[readyEnd] as ReplySlot | Uint8Array;
      if (!(slot instanceof ReplySlot)) {
        readyBytes += slot.length;
      } else if (slot.bytes !== null) {
        readyBytes += slot.end - slot.start;
        this.expectedBytes -= slot.expectedBytes;
      } else {
        break;
      }
    }
    if (readyEnd === this.head) return;
    const chunks =
      readyBytes <= joinedReplyBytesMax
        ? [this.joined(this.head, readyEnd, readyBytes)]
        : this.views(this.head, readyEnd);
    this.head = readyEnd;
    if (this.head === this.slots.length) {
      this.slots = [];
      this.head = 0;
    } else if (this.head > 1024) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
    this.write(chunks);
  }

  /** The ready replies `slots[from, to)` in one buffer of `bytes` bytes (a lone reply as it
   * is). */
  private joined(from: number, to: number, bytes: number): Uint8Array {
    if (to === from + 1) return viewOf(this.slots[from] as ReplySlot | Uint8Array);
    const joined = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (let i = from; i < to; i++) {
      const slot = this.slots[i] as ReplySlot | Uint8Array;
      if (slot instanceof ReplySlot) {
        copyRange(slot.bytes as Uint8Array, slot.start, slot.end, joined, at);
        at += slot.end - slot.start;
      } else {
        copyRange(slot, 0, slot.length, joined, at);
        at += slot.length;
      }
    }
    return joined;
  }

  /** The ready replies `slots[from, to)`, each as a view of its own. */
  private views(from: number, to: number): Uint8Array[] {
    const views: Uint8Array[] = [];
    for (let i = from; i < to; i++) views.push(viewOf(this.slots[i] as ReplySlot | Uint8Array));
    return views;
  }

  /** True when some reply is still owed and the ready ones before it are small. */
  private shouldHold(): boolean {
    let heldBytes = 0;
    for (let i = this.head; i < this.slots.length; i++) {
      const slot = this.slots[i] as ReplySlot | Uint8Array;
      if (!(slot instanceof ReplySlot)) {
        heldBytes += slot.length;
      } else if (slot.bytes === null) {
        return true;
      } else {
        heldBytes += slot.end - slot.start;
      }
      if (heldBytes >= heldReplyBytesMax) return false;
    }
    return false;
  }
}

/** A ready reply as bytes of its own (a view of its batch's reply buffer). */
function viewOf(slot: ReplySlot | Uint8Array): Uint8Array {
  return slot instanceof ReplySlot
    ? (slot.bytes as Uint8Array).subarray(slot.start, slot.end)
    : slot;
}
