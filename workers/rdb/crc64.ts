/**
 * Redis's CRC-64, the checksum at the end of every RDB file: the "Jones" polynomial
 * 0xad93d23594c935a9, reflected input and output, initial value 0, no final xor
 * (redis/redis `src/crc64.c`; check value: "123456789" gives 0xe9c6d914c4b8d9ca).
 *
 * Incremental, so a file can be checksummed chunk by chunk as it is written or read: the
 * state between calls is the CRC itself, a bigint, which crosses a thread boundary as is.
 * Inside, the register is two 32-bit halves and the loop reads eight bytes per step from
 * eight 256-entry tables ("slice-by-8", as Redis's crcspeed.c does): JavaScript does 32-bit
 * integer arithmetic fast and BigInt arithmetic slowly, so no BigInt is touched per byte.
 * Defended by the speed test in test/rdb/crc64.test.ts.
 */

const polynomial = 0xad93d23594c935a9n;
const tableCount = 8;

/** tableLo/tableHi[k * 256 + b]: the register after byte b followed by k zero bytes, from 0. */
const tableLo = new Int32Array(tableCount * 256);
const tableHi = new Int32Array(tableCount * 256);

/** The polynomial with its 64 bits in reverse order, as a reflected CRC shifts right. */
function reflect64(value: bigint): bigint {
  let reflected = 0n;
  for (let bit = 0n; bit < 64n; bit++) reflected |= ((value >> bit) & 1n) << (63n - bit);
  return reflected;
}

function buildTables(): void {
  const reflected = reflect64(polynomial);
  const polyLo = Number(reflected & 0xffffffffn);
  const polyHi = Number(reflected >> 32n);
  for (let byte = 0; byte < 256; byte++) {
    let lo = byte;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (carry) {
        lo = (lo ^ polyLo) >>> 0;
        hi = (hi ^ polyHi) >>> 0;
      }
    }
    tableLo[byte] = lo;
    tableHi[byte] = hi;
  }
  for (let k = 1; k < tableCount; k++) {
    for (let byte = 0; byte < 256; byte++) {
      const lo = tableLo[(k - 1) * 256 + byte] as number;
      const hi = tableHi[(k - 1) * 256 + byte] as number;
      const index = lo & 0xff;
      tableLo[k * 256 + byte] = (((lo >>> 8) | (hi << 24)) ^ (tableLo[index] as number)) >>> 0;
      tableHi[k * 256 + byte] = ((hi >>> 8) ^ (tableHi[index] as number)) >>> 0;
    }
  }
}
buildTables();

export const crc64Initial = 0n;

/** The CRC of everything already summed (`crc`) followed by `bytes`. */
export function crc64Update(crc: bigint, bytes: Uint8Array): bigint {
  let lo = Number(crc & 0xffffffffn);
  let hi = Number((crc >> 32n) & 0xffffffffn);
  const end = bytes.length;
  const wholeWordsEnd = end - (end % 8);
  const tLo = tableLo;
  const tHi = tableHi;
  let at = 0;
  // The `as number` casts are free: every index is inside the tables and the input.
  for (; at < wholeWordsEnd; at += 8) {
    const a =
      lo ^
      ((bytes[at] as number) |
        ((bytes[at + 1] as number) << 8) |
        ((bytes[at + 2] as number) << 16) |
        ((bytes[at + 3] as number) << 24));
    const b =
      hi ^
      ((bytes[at + 4] as number) |
        ((bytes[at + 5] as number) << 8) |
        ((bytes[at + 6] as number) << 16) |
        ((bytes[at + 7] as number) << 24));
    lo =
      (tLo[1792 + (a & 0xff)] as number) ^
      (tLo[1536 + ((a >>> 8) & 0xff)] as number) ^
      (tLo[1280 + ((a >>> 16) & 0xff)] as number) ^
      (tLo[1024 + (a >>> 24)] as number) ^
      (tLo[768 + (b & 0xff)] as number) ^
      (tLo[512 + ((b >>> 8) & 0xff)] as number) ^
      (tLo[256 + ((b >>> 16) & 0xff)] as number) ^
      (tLo[b >>> 24] as number);
    hi =
      (tHi[1792 + (a & 0xff)] as number) ^
      (tHi[1536 + ((a >>> 8) & 0xff)] as number) ^
      (tHi[1280 + ((a >>> 16) & 0xff)] as number) ^
      (tHi[1024 + (a >>> 24)] as number) ^
      (tHi[768 + (b & 0xff)] as number) ^
      (tHi[512 + ((b >>> 8) & 0xff)] as number) ^
      (tHi[256 + ((b >>> 16) & 0xff)] as number) ^
      (tHi[b >>> 24] as number);
  }
  for (; at < end; at++) {
    const index = (lo ^ (bytes[at] as number)) & 0xff;
    lo = (lo >>> 8) | (hi << 24);
    lo ^= tLo[index] as number;
    hi = (hi >>> 8) ^ (tHi[index] as number);
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The CRC of `bytes` alone. */
export function crc64(bytes: Uint8Array): bigint {
  return crc64Update(crc64Initial, bytes);
}
