/**
 * Collects one batch's reply lines into one byte buffer, with the end offset of each, so the
 * answer crosses back to the main thread as two transferred arrays instead of many strings.
 * The shard encodes the UTF-8 here so the main thread never has to.
 */

const initialBytes = 64 * 1024;
/** After a batch with a huge reply, the buffer shrinks back so it does not hold that memory. */
const keptBytesMax = 4 * 1024 * 1024;

export class ReplyWriter {
  private buffer: Buffer = Buffer.allocUnsafeSlow(initialBytes);
  private length = 0;
  private ends: Uint32Array = new Uint32Array(0);
  private count = 0;

  begin(opCount: number): void {
    this.length = 0;
    this.count = 0;
    this.ends = new Uint32Array(opCount);
  }

  writeBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    this.endReply();
  }

  writeText(text: string): void {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
    this.endReply();
  }

  /** An operation that only acknowledges (a commit's write) gets an empty reply. */
  writeEmpty(): void {
    this.endReply();
  }

  /** The batch's replies, copied out into arrays of their own so they can be transferred. */
  finish(): { ends: Uint32Array; bytes: Uint8Array } {
    const bytes = new Uint8Array(this.length);
    bytes.set(this.buffer.subarray(0, this.length));
    if (this.buffer.length > keptBytesMax) this.buffer = Buffer.allocUnsafeSlow(initialBytes);
    return { ends: this.ends, bytes };
  }

  private endReply(): void {
    this.ends[this.count++] = this.length;
  }

  private reserve(extraBytes: number): void {
    const needed = this.length + extraBytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
