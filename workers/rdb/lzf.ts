/**
 * LZF decompression, for the strings Redis compresses in RDB files (every string over 20 bytes
 * that LZF shrinks by 4 bytes or more, keys included, unless rdbcompression is off).
 *
 * The format (liblzf by Marc Lehmann; redis/redis `src/lzf_d.c`) is a series of items, each
 * starting with a control byte:
 * - 000LLLLL: a literal run; the next L+1 bytes are copied as they are.
 * - LLLOOOOO: a back reference of L+2 bytes, where L=7 means "7 plus the next byte"; the
 *   distance back from the output's end is (O << 8 | next byte) + 1. Source and destination
 *   may overlap, which repeats the bytes between them (a run of one byte has distance 1).
 * Input is not trusted: every read and copy is bounds-checked, and a mismatch returns a reason
 * rather than throwing, so the caller can name the file offset.
 */

/** The decompressed bytes, or why `compressed` cannot be `outputBytes` long once decompressed. */
export function lzfDecompress(compressed: Uint8Array, outputBytes: number): Buffer | string {
  const output = Buffer.allocUnsafe(outputBytes);
  let from = 0;
  let to = 0;
  while (from < compressed.length) {
    const control = compressed[from++] as number;
    if (control < 32) {
      const literalBytes = control + 1;
      if (from + literalBytes > compressed.length) return 'a literal run ends past the input';
      if (to + literalBytes > outputBytes) return 'a literal run ends past the stated length';
      output.set(compressed.subarray(from, from + literalBytes), to);
      from += literalBytes;
      to += literalBytes;
      continue;
    }
    let copyBytes = control >>> 5;
    if (copyBytes === 7) {
      if (from >= compressed.length) return 'a back reference is cut short';
      copyBytes += compressed[from++] as number;
    }
    copyBytes += 2;
    if (from >= compressed.length) return 'a back reference is cut short';
    const distance = (((control & 0x1f) << 8) | (compressed[from++] as number)) + 1;
    const source = to - distance;
    if (source < 0) return 'a back reference points before the start';
    if (to + copyBytes > outputBytes) return 'a back reference ends past the stated length';
    if (distance >= copyBytes) {
      output.copyWithin(to, source, source + copyBytes);
      to += copyBytes;
    } else {
      // Overlap is the point: byte by byte, each copied byte can be copied again.
      for (let i = 0; i < copyBytes; i++) output[to + i] = output[source + i] as number;
      to += copyBytes;
    }
  }
  if (to !== outputBytes) return `it gives ${to} bytes, not the stated ${outputBytes}`;
  return output;
}

/** The most one compressed byte can give back: a 3-byte back reference yields 7 + 255 + 2. */
export const lzfExpansionMax = Math.ceil((7 + 255 + 2) / 3);
