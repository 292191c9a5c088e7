/**
 * The CRC-64 of a concatenation from the CRCs of its parts and their lengths, without reading
 * the bytes again. This is what lets shard threads write and checksum their parts of one
 * snapshot in parallel while the main thread only coordinates: it combines a handful of
 * (crc, length) pairs in microseconds instead of reading hundreds of MB a second time.
 *
 * Why it works: with initial value 0 and no final xor, the CRC is linear over GF(2), so
 * crc(A ++ B) = crc(A ++ |B| zero bytes) xor crc(B), and running the register over n zero
 * bytes is a 64x64 bit matrix raised to the n-th power, done by squaring. This is the method
 * of zlib's crc32_combine (Mark Adler), applied to Redis's CRC-64. BigInt is fine here: the
 * cost is O(log n) matrix-vector products per part, not per byte.
 */
import { crc64, crc64Update } from './crc64.js';

/** A run of bytes as the checksum needs to know it. */
export interface Crc64Part {
  crc: bigint;
  lengthBytes: number;
}

/** A 64x64 GF(2) matrix as its 64 columns: column i is the image of bit i. */
type Gf2Matrix = bigint[];

function multiply(matrix: Gf2Matrix, vector: bigint): bigint {
  let product = 0n;
  for (let column = 0; vector !== 0n; column++, vector >>= 1n) {
    if (vector & 1n) product ^= matrix[column] as bigint;
  }
  return product;
}

const zeroByte = new Uint8Array(1);

/** The register after one zero byte, for each single bit set in it. It takes the step through
 * crc64Update itself, so the table and this matrix can never disagree. */
function zeroByteOperator(): Gf2Matrix {
  const columns: Gf2Matrix = [];
  for (let bit = 0n; bit < 64n; bit++) columns.push(crc64Update(1n << bit, zeroByte));
  return columns;
}

/** zeroBytesOperators[k] runs the register over 2^k zero bytes; built on first need. */
const zeroBytesOperators: Gf2Matrix[] = [];

function zeroBytesOperator(log2Bytes: number): Gf2Matrix {
  while (zeroBytesOperators.length <= log2Bytes) {
    const previous = zeroBytesOperators.at(-1);
    zeroBytesOperators.push(
      previous === undefined ? zeroByteOperator() : previous.map((c) => multiply(previous, c)),
    );
  }
  return zeroBytesOperators[log2Bytes] as Gf2Matrix;
}

/** crc64(A ++ B) from crc64(A), crc64(B) and B's length. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthBBytes: number): bigint {
  let register = crcA;
  let remaining = lengthBBytes;
  for (let log2 = 0; remaining > 0; log2++) {
    if (remaining % 2 === 1) register = multiply(zeroBytesOperator(log2), register);
    remaining = Math.floor(remaining / 2);
  }
  return register ^ crcB;
}

/** The CRC and length of parts laid end to end, in order. */
export function crc64Concat(parts: readonly Crc64Part[]): Crc64Part {
  let crc = 0n;
  let lengthBytes = 0;
  for (const part of parts) {
    crc = crc64Combine(crc, part.crc, part.lengthBytes);
    lengthBytes += part.lengthBytes;
  }
  return { crc, lengthBytes };
}

/** A part as the combine functions want it, from bytes at hand (the header, say). */
export function crc64Part(bytes: Uint8Array): Crc64Part {
  return { crc: crc64(bytes), lengthBytes: bytes.length };
}
