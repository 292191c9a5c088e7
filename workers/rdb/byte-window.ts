/**
 * The reader's view of its input: chunks pushed as they arrive, read as one run of bytes.
 *
 * Parsing is in items (an opcode and what follows it, or one key and its value). An item is
 * read from `committed` with a cursor; if its bytes have not all arrived, a read throws
 * NeedMoreBytes saying how many bytes the item needs so far, the cursor goes back to the
 * item's start, and nothing is parsed again until that many bytes are here. So a value of
 * 100 MB split over a thousand chunks is parsed once, not a thousand times, and memory holds at
 * most the item being read plus the chunk that completes it.
 *
 * It also keeps the CRC-64 of every byte before the current item (folded in as bytes are
 * dropped), since the checksum at the end of an RDB file covers all the bytes before it.
 */
import { crc64Update } from './crc64.js';

export class NeedMoreBytes {
  constructor(
    /** Bytes the current item needs, counted from its first byte. */
    readonly itemBytes: number,
  ) {}
}

const empty = Buffer.alloc(0);

export class ByteWindow {
  private buffer: Buffer = empty;
  /** Offset in the file of buffer[0]. */
  private bufferOffset = 0;
  /** Start of the item being read; everything before it is parsed. */
  private committed = 0;
  /** Where the next read starts. */
  cursor = 0;
  /** Chunks pushed and not yet merged into `buffer`. */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** CRC of the file's bytes before buffer[crcFrom]. */
  private crcBefore = 0n;
  private crcFrom = 0;

  /** The window keeps `chunk` (not a copy) until its bytes are read: do not reuse it. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.pendingBytes += chunk.length;
  }

  /** Bytes from the current item's start to the end of the input so far. */
  get availableBytes(): number {
    return this.buffer.length - this.committed + this.pendingBytes;
  }

  /** File offset of the cursor: where the next byte read comes from. */
  get cursorOffset(): number {
    return this.bufferOffset + this.cursor;
  }

  get committedOffset(): number {
    return this.bufferOffset + this.committed;
  }

  /** Makes every pushed byte readable, dropping (and checksumming) the parsed ones. */
  merge(): void {
    if (this.pending.length === 0) return;
    this.crcBefore = crc64Update(
      this.crcBefore,
      this.buffer.subarray(this.crcFrom, this.committed),
    );
    const unread = this.buffer.subarray(this.committed);
    const parts = unread.length === 0 ? this.pending : [unread, ...this.pending];
    this.buffer = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.bufferOffset += this.committed;
    this.committed = 0;
    this.cursor = 0;
    this.crcFrom = 0;
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  /** The item read so far is parsed: the next one starts at the cursor. */
  commit(): void {
    this.committed = this.cursor;
  }

  /** The item read so far is incomplete: read it again from its start next time. */
  rewind(): void {
    this.cursor = this.committed;
  }

  /** CRC-64 of the file's bytes before the cursor, less the last `excludedBytes` read. */
  crcBeforeCursor(excludedBytes: number): bigint {
    const end = this.cursor - excludedBytes;
    return crc64Update(this.crcBefore, this.buffer.subarray(this.crcFrom, end));
  }

  /** Bytes [cursor, cursor + count), valid until the next merge(). */
  bytes(count: number): Buffer {
    const start = this.take(count);
    return this.buffer.subarray(start, start + count);
  }

  latin1(count: number): string {
    const start = this.take(count);
    return this.buffer.toString('latin1', start, start + count);
  }

  uint8(): number {
    return this.buffer[this.take(1)] as number;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  int16Le(): number {
    return this.buffer.readInt16LE(this.take(2));
  }

  int32Le(): number {
    return this.buffer.readInt32LE(this.take(4));
  }

  uint32Le(): number {
    return this.buffer.readUInt32LE(this.take(4));
  }

  uint32Be(): number {
    return this.buffer.readUInt32BE(this.take(4));
  }

  bigUint64Le(): bigint {
    return this.buffer.readBigUInt64LE(this.take(8));
  }

  /** Advances the cursor past `count` bytes and returns where they start. */
  private take(count: number): number {
    const start = this.cursor;
    if (start + count > this.buffer.length) throw new NeedMoreBytes(start + count - this.committed);
    this.cursor = start + count;
    return start;
  }
}
