/**
 * Copying and checking short byte ranges without making a view of them. `subarray` makes a
 * new object for every range, which costs more than the work itself when a range is a 16-byte
 * key: copying a key or value byte by byte takes 40 ns where `set(subarray())` takes 68, and
 * checking a 47-byte ASCII range 57 ns where `isUtf8(subarray())` takes 95 (node 20, this VM).
 * The transaction mix copies each write twice and checks it once (bench/run.ts --tx 4).
 */
import { isAscii, isUtf8 } from 'node:buffer';

/** Ranges up to this many bytes take the byte loops; longer ones the native calls. */
const shortRangeBytesMax = 64;

/** Copies `source[start, end)` into `target` at `at`. */
export function copyRange(
  source: Uint8Array,
  start: number,
  end: number,
  target: Uint8Array,
  at: number,
): void {
  if (end - start > shortRangeBytesMax) {
    target.set(source.subarray(start, end), at);
    return;
  }
  for (let from = start, to = at; from < end; from++, to++) target[to] = source[from] as number;
}

/** True when `bytes[start, end)` is valid UTF-8. */
export function isUtf8Range(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start <= shortRangeBytesMax) {
    let at = start;
    while (at < end && (bytes[at] as number) < 0x80) at++;
    if (at === end) return true;
  }
  return isUtf8(bytes.subarray(start, end));
}

/** Node decodes latin1 of a megabyte or more into an external string, whose bytes live in
 * malloc's heap, not V8's: glibc kept those of deleted 10 MiB values, so a full server never
 * got its memory back after DELs (test/integration/limits-memory.test.ts). Below this, and for
 * ASCII bytes decoded as UTF-8 (the same characters), strings are V8's own. */
const externalStringBytesMin = 0xfbee9;
/** Pieces a long non-ASCII byte string is decoded in, each below externalStringBytesMin. */
const byteStringPieceBytes = 512 * 1024;

/** `bytes[start, end)` as a byte string (one character a byte) held on V8's heap. */
export function byteStringOf(bytes: Buffer, start: number, end: number): string {
  if (end - start < externalStringBytesMin) return bytes.toString('latin1', start, end);
  if (isAscii(bytes.subarray(start, end))) return bytes.toString('utf8', start, end);
  let text = '';
  for (let at = start; at < end; at += byteStringPieceBytes) {
    text += bytes.toString('latin1', at, Math.min(end, at + byteStringPieceBytes));
  }
  return text;
}
