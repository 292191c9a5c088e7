/**
 * Writes one batch's reply lines, and the end offset of each, straight into the batch's shared
 * reply slot (src/shards/batch-slots.ts), so the answer crosses back to the main thread without
 * a copy or an allocation on this side. The shard encodes the UTF-8 here so the main thread
 * never has to.
 *
 * A reply that does not fit moves everything written so far into a new, larger slot; `finish`
 * says so, and the main thread is told with the batch's number.
 */
import {
  BatchSlot,
  replyBytesStart,
  writeReplyEnd,
  writeReplyHeader,
} from '../src/shards/batch-slots.js';

export class ReplyWriter {
  /** Replaced by `begin`; never written before. */
  private slot = new BatchSlot(new SharedArrayBuffer(0));
  private replaced = false;
  private start = 0;
  private length = 0;
  private count = 0;

  /** Starts the replies of a batch of `opCount` operations in `slot`. */
  begin(slot: BatchSlot, opCount: number): void {
    this.start = replyBytesStart(opCount);
    this.replaced = slot.unfitFor(this.start);
    this.slot = this.replaced ? BatchSlot.ofAtLeast(this.start) : slot;
    this.length = 0;
    this.count = 0;
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.slot.bytes.set(bytes, this.start + this.length);
    this.length += bytes.length;
    this.endReply();
  }

  writeText(text: string): void {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    this.reserve(text.length * 3);
    this.length += this.slot.bytes.write(text, this.start + this.length, 'utf8');
    this.endReply();
  }

  /** An operation that only acknowledges (a commit's write) gets an empty reply. */
  writeEmpty(): void {
    this.endReply();
  }

  /** Completes the slot's header; returns the new slot when the replies did not fit the one
   * given to `begin`. */
  finish(largestReplyBytes: number): BatchSlot | null {
    writeReplyHeader(this.slot, this.count, this.length, largestReplyBytes);
    return this.replaced ? this.slot : null;
  }

  private endReply(): void {
    writeReplyEnd(this.slot, this.count++, this.length);
  }

  private reserve(extraBytes: number): void {
    const needed = this.start + this.length + extraBytes;
    if (needed <= this.slot.size) return;
    const grown = BatchSlot.ofAtLeast(needed);
    // The end offsets written so far sit between the header and the reply lines.
    this.slot.bytes.copy(grown.bytes, 0, 0, this.start + this.length);
    this.slot = grown;
    this.replaced = true;
  }
}
