/**
 * Bytes written one field at a time, handed out as chunks of about a fixed size, each
 * checksummed as it is sealed. It owns the bound on a writer's memory: at most the chunk being
 * filled plus the sealed chunks not yet taken, which is one chunk plus one entry when the
 * caller takes chunks after each entry. A string too long for a chunk becomes a chunk of its
 * own rather than growing one.
 */
import { crc64Update } from './crc64.js';

export const fixedFieldBytesMax = 16;

export class ChunkBuilder {
  private chunk: Buffer;
  private usedBytes = 0;
  private readonly sealed: Buffer[] = [];
  private sealedCrc = 0n;
  private sealedBytes = 0;

  constructor(private readonly chunkBytes: number) {
    // The largest fixed field reserved at once is 10 bytes; a chunk must hold it whole.
    if (!(chunkBytes >= fixedFieldBytesMax)) {
      throw new Error(`ChunkBuilder: chunkBytes must be at least ${fixedFieldBytesMax}`);
    }
    this.chunk = Buffer.allocUnsafe(chunkBytes);
  }

  /** Makes room for `bytes` bytes (a small fixed field) in the current chunk. */
  reserve(bytes: number): void {
    if (this.usedBytes + bytes > this.chunkBytes) this.seal();
  }

  /** Callers reserve first: these write without checking for room. */
  byte(value: number): void {
    this.chunk[this.usedBytes++] = value;
  }

  uint32Le(value: number): void {
    this.chunk.writeUInt32LE(value, this.usedBytes);
    this.usedBytes += 4;
  }

  uint32Be(value: number): void {
    this.chunk.writeUInt32BE(value, this.usedBytes);
    this.usedBytes += 4;
  }

  /** A latin1 string's bytes: into the current chunk when they fit, else a new one. */
  latin1(text: string): void {
    if (this.usedBytes + text.length > this.chunkBytes) this.seal();
    if (text.length > this.chunkBytes) {
      this.sealChunk(Buffer.from(text, 'latin1'));
      return;
    }
    this.usedBytes += this.chunk.write(text, this.usedBytes, 'latin1');
  }

  /** The next full chunk, oldest first, or null when none is full yet. */
  take(): Buffer | null {
    return this.sealed.shift() ?? null;
  }

  /** Seals what is left, so take() hands out everything written. */
  finish(): void {
    this.seal();
  }

  /** CRC and length of everything sealed so far, in order. */
  get crc(): bigint {
    return this.sealedCrc;
  }

  get lengthBytes(): number {
    return this.sealedBytes;
  }

  private seal(): void {
    if (this.usedBytes === 0) return;
    this.sealChunk(this.chunk.subarray(0, this.usedBytes));
    this.chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.usedBytes = 0;
  }

  private sealChunk(bytes: Buffer): void {
    this.sealed.push(bytes);
    this.sealedCrc = crc64Update(this.sealedCrc, bytes);
    this.sealedBytes += bytes.length;
  }
}
