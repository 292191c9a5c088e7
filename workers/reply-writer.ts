/**
 * Writes one batch's reply lines, and the end offset of each, straight into the batch's shared
 * reply slot (src/shards/batch-slots.ts), so the answer crosses back to the main thread without
 * a copy or an allocation on this side. The shard encodes the UTF-8 here so the main thread
 * never has to.
 *
 * Replies that do not fit the slot (large values) move, with everything written so far, to a
 * private buffer laid out the same way; `finish` then returns an exact-size copy of it to be
 * transferred, which the main thread uses in place.
 */
import { plainResultPrefixBytes, plainResultSuffixBytes } from '../src/protocol/reply-format.js';
import {
  BatchSlot,
  replyBytesStart,
  type ShardDataReport,
  writeReplyEnd,
  writeReplyHeader,
} from '../src/shards/batch-slots.js';

const spillBytesInitial = 1024 * 1024;
/** After a batch with a huge reply, the private buffer is dropped so it does not hold that
 * memory. */
const spillBytesKeptMax = 16 * 1024 * 1024;

export class ReplyWriter {
  /** Where this batch's replies go: the shared slot given to `begin`, or `spill`. */
  private target: BatchSlot<ArrayBufferLike> = new BatchSlot(new SharedArrayBuffer(0));
  private spill: BatchSlot<ArrayBuffer> | null = null;
  private spilled = false;
  private start = 0;
  private length = 0;
  private count = 0;

  /** Starts the replies of a batch of `opCount` operations in `slot`. */
  begin(slot: BatchSlot, opCount: number): void {
    this.start = replyBytesStart(opCount);
    this.length = 0;
    this.count = 0;
    this.target = slot;
    this.spilled = false;
    if (this.start > slot.size) this.moveToSpill(this.start);
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.target.bytes.set(bytes, this.start + this.length);
    this.length += bytes.length;
    this.endReply();
  }

  writeText(text: string): void {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    this.reserve(text.length * 3);
    this.length += this.target.bytes.write(text, this.start + this.length, 'utf8');
    this.endReply();
  }

  /** The GET reply of a value that needs no escaping, written around the value: building the
   * line as one string first cost an allocation and a copy of the value per GET (flattening
   * the concatenation) before it was encoded (bench/run.ts, P=16). */
  writePlainResult(value: string): void {
    const prefix = plainResultPrefixBytes;
    const suffix = plainResultSuffixBytes;
    // Values are byte strings (shard-store.ts): one byte a character.
    this.reserve(prefix.length + value.length + suffix.length);
    const bytes = this.target.bytes;
    let at = this.start + this.length;
    bytes.set(prefix, at);
    at += prefix.length;
    at += bytes.write(value, at, 'latin1');
    bytes.set(suffix, at);
    this.length = at + suffix.length - this.start;
    this.endReply();
  }

  /** An operation that only acknowledges (a commit's write) gets an empty reply. */
  writeEmpty(): void {
    this.endReply();
  }

  /** Adds `text` to the reply being built (one byte a character: latin1 holds byte strings
   * and ASCII alike); `endReply` closes it. For replies built in pieces (RESP). */
  append(text: string): void {
    this.reserve(text.length);
    this.length += this.target.bytes.write(text, this.start + this.length, 'latin1');
  }

  /** Closes the reply built with `append`. */
  endReply(): void {
    writeReplyEnd(this.target, this.count++, this.length);
  }

  /** Completes the header; returns the replies in a buffer of their own when they did not fit
   * the slot given to `begin`. */
  finish(largestReplyBytes: number, data: ShardDataReport): ArrayBuffer | null {
    writeReplyHeader(this.target, this.count, this.length, largestReplyBytes, data);
    if (!this.spilled) return null;
    const used = this.start + this.length;
    // Whole 32-bit words: the main thread reads the header and end offsets as a Uint32Array.
    const own = new Uint8Array(Math.ceil(used / 4) * 4);
    own.set(this.target.bytes.subarray(0, used));
    if (this.target.size > spillBytesKeptMax) this.spill = null;
    return own.buffer;
  }

  private reserve(extraBytes: number): void {
    const needed = this.start + this.length + extraBytes;
    if (needed > this.target.size) this.moveToSpill(needed);
  }

  /** Continues in the private buffer, grown to at least `needed` bytes, with everything
   * written so far (header area, end offsets, reply lines). */
  private moveToSpill(needed: number): void {
    let spill = this.spill;
    if (spill === null || spill.size < needed) {
      let size = Math.max(spillBytesInitial, (spill?.size ?? 0) * 2);
      while (size < needed) size *= 2;
      spill = new BatchSlot(new ArrayBuffer(size));
      this.spill = spill;
    }
    if (spill !== this.target) this.target.bytes.copy(spill.bytes, 0, 0, this.start + this.length);
    this.target = spill;
    this.spilled = true;
  }
}
