/**
 * The fields an RDB file is made of: lengths (6, 14, 32 or 64 bits) and strings (raw,
 * integer-encoded, or LZF-compressed), read from a ByteWindow (redis/redis `src/rdb.h` for the
 * encodings, `src/rdb.c` rdbLoadLen and rdbGenericLoadStringObject for how they are read).
 * A read past the bytes at hand throws NeedMoreBytes (the item is retried once they arrive);
 * bad bytes throw an RdbError naming the offset; no length past `stringBytesMax` is trusted
 * with an allocation.
 */
import type { ByteWindow } from './byte-window.js';
import { lzfDecompress, lzfExpansionMax } from './lzf.js';
import { RdbError } from './rdb-error.js';
import { rdbLength, rdbStringEncoding } from './rdb-format.js';

export class RdbFieldReader {
  constructor(
    private readonly input: ByteWindow,
    private readonly stringBytesMax: number,
  ) {}

  /** A string in any of its encodings (rdb.c, rdbGenericLoadStringObject). */
  string(): string {
    const first = this.input.uint8();
    if (first >> 6 !== rdbLength.special) {
      const byteCount = this.lengthAfter(first);
      this.checkStringBytes(byteCount, 'string');
      return this.input.latin1(byteCount);
    }
    switch (first & 0x3f) {
      case rdbStringEncoding.int8:
        return String(this.input.int8());
      case rdbStringEncoding.int16:
        return String(this.input.int16Le());
      case rdbStringEncoding.int32:
        return String(this.input.int32Le());
      case rdbStringEncoding.lzf:
        return this.lzfString();
      default: {
        const at = this.input.cursorOffset - 1;
        throw new RdbError('corrupt', at, `string encoding ${first & 0x3f} does not exist`);
      }
    }
  }

  private lzfString(): string {
    const at = this.input.cursorOffset - 1;
    const compressedBytes = this.length();
    const stringBytes = this.length();
    this.checkStringBytes(compressedBytes, 'compressed string');
    this.checkStringBytes(stringBytes, 'string');
    if (stringBytes > compressedBytes * lzfExpansionMax) {
      const claim = `${compressedBytes} LZF bytes cannot give ${stringBytes}`;
      throw new RdbError('corrupt', at, claim);
    }
    const decompressed = lzfDecompress(this.input.bytes(compressedBytes), stringBytes);
    if (typeof decompressed === 'string') {
      throw new RdbError('corrupt', at, `bad LZF-compressed string: ${decompressed}`);
    }
    return decompressed.toString('latin1');
  }

  private checkStringBytes(byteCount: number, what: string): void {
    if (byteCount <= this.stringBytesMax) return;
    throw new RdbError(
      'too-long',
      this.input.cursorOffset,
      `a ${what} of ${byteCount} bytes, over the bound of ${this.stringBytesMax} bytes ` +
        "(Redis's proto-max-bulk-len): the file is corrupt, or holds a value Haus refuses",
    );
  }

  length(): number {
    const first = this.input.uint8();
    if (first >> 6 === rdbLength.special) {
      const at = this.input.cursorOffset - 1;
      throw new RdbError('corrupt', at, `0x${hex(first)} where a length should be`);
    }
    return this.lengthAfter(first);
  }

  /** The rest of a length whose first byte is `first` (rdb.h: 6, 14, 32 or 64 bits). */
  private lengthAfter(first: number): number {
    const kind = first >> 6;
    if (kind === rdbLength.bits6) return first & 0x3f;
    if (kind === rdbLength.bits14) return ((first & 0x3f) << 8) | this.input.uint8();
    if (first === rdbLength.bits32Byte) return this.input.uint32Be();
    if (first === rdbLength.bits64Byte) {
      const high = this.input.uint32Be();
      const low = this.input.uint32Be();
      // Past 2^53 a length cannot be exact in a number; it is past every bound anyway.
      return high >= 2 ** 21 ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + low;
    }
    const at = this.input.cursorOffset - 1;
    throw new RdbError('corrupt', at, `0x${hex(first)} is no length encoding`);
  }

  /** A signed 64-bit little-endian time, as a number (exact up to 2^53 ms: year 287396). */
  int64Le(): number {
    const low = this.input.uint32Le();
    const high = this.input.int32Le();
    return high * 2 ** 32 + low;
  }
}

export function hex(value: number | bigint): string {
  return value.toString(16).padStart(2, '0');
}
