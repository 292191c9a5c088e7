/**
 * Writes string keys as a Redis RDB file, in parts that can be produced on different threads
 * and laid end to end: the main thread writes the header, each shard encodes its own keys with
 * an RdbEntryEncoder into bounded chunks, and the main thread writes the footer. An RDB file
 * is exactly this concatenation (redis/redis `src/rdb.c`, rdbSaveRio at tag 7.0.15):
 *
 *   "REDIS0009"  AUX fields  SELECTDB 0  RESIZEDB keys expires
 *   per key: [EXPIRETIME_MS <int64 LE ms>]  0 (string)  <key>  <value>
 *   EOF (0xff)  <CRC-64 of every byte before it, 0xff included, 8 bytes LE>
 *
 * The checksum covers all parts, and a shard only sees its own, so each part reports its CRC
 * and length and the footer's CRC is combined from them (crc64-combine.ts) rather than computed
 * by reading every part again on the main thread, which only coordinates.
 *
 * Strings are length-prefixed; those Redis would store as integers (canonical decimal, 32-bit)
 * are written integer-encoded as Redis does, keys included. Nothing is LZF-compressed: it is
 * optional to a reader, and costs CPU on the shard that Haus would rather spend serving.
 * Redis refuses a file holding a key twice (it panics on load), so each key must be added once
 * per snapshot, by whichever shard owns it.
 */
import { ChunkBuilder } from './chunk-builder.js';
import { crc64Update } from './crc64.js';
import type { Crc64Part } from './crc64-combine.js';
import {
  rdbChunkBytesDefault,
  rdbLength,
  rdbMagic,
  rdbOpcode,
  rdbStringEncoding,
  rdbTypeString,
  rdbVersionWritten,
} from './rdb-format.js';

export interface RdbHeaderOptions {
  /** When the snapshot's point in time was, for the ctime field Redis logs as the file's age. */
  createdAtMs: number;
  /** Memory the data used, for the used-mem field Redis logs on load. */
  usedMemoryBytes: number;
  /** RESIZEDB hints: Redis sizes its tables from them before loading, so exact is best. */
  keyCount: number;
  expiringKeyCount: number;
}

/** The bytes before the first key. */
export function rdbHeader(options: RdbHeaderOptions): Buffer {
  const out = new ChunkBuilder(4096);
  out.latin1(`${rdbMagic}${String(rdbVersionWritten).padStart(4, '0')}`);
  // Redis 7.0 also writes redis-ver, which it only logs. Haus leaves it out rather than claim
  // to be some Redis version: every AUX field is optional by the format's contract.
  writeAux(out, 'redis-bits', '64');
  writeAux(out, 'ctime', String(Math.floor(options.createdAtMs / 1000)));
  writeAux(out, 'used-mem', String(options.usedMemoryBytes));
  out.reserve(1);
  out.byte(rdbOpcode.selectDb);
  writeLength(out, 0);
  out.reserve(1);
  out.byte(rdbOpcode.resizeDb);
  writeLength(out, options.keyCount);
  writeLength(out, options.expiringKeyCount);
  return takeAll(out);
}

/** One part's keys as RDB entries, handed out in chunks of about `chunkBytes`. */
export class RdbEntryEncoder {
  private readonly out: ChunkBuilder;

  constructor(options: { chunkBytes?: number } = {}) {
    this.out = new ChunkBuilder(options.chunkBytes ?? rdbChunkBytesDefault);
  }

  /** Keys and values are latin1 strings (a byte per character); expireAtMs 0 means none.
   * Take the chunks this makes ready before adding many more, to keep memory bounded. */
  add(key: string, value: string, expireAtMs: number): void {
    const out = this.out;
    // Opcode and 8-byte time, then the type byte: the fixed part of an entry.
    out.reserve(10);
    if (expireAtMs !== 0) {
      if (!Number.isSafeInteger(expireAtMs) || expireAtMs < 0) {
        throw new Error(
          `RdbEntryEncoder: expireAtMs must be a whole number of ms, not ${expireAtMs}`,
        );
      }
      out.byte(rdbOpcode.expireTimeMs);
      out.uint32Le(expireAtMs % 2 ** 32);
      out.uint32Le(Math.floor(expireAtMs / 2 ** 32));
    }
    out.byte(rdbTypeString);
    writeString(out, key);
    writeString(out, value);
  }

  /** The next full chunk, or null until one is full (or finish() was called). */
  takeChunk(): Buffer | null {
    return this.out.take();
  }

  /** Ends the part: the last, partial chunk becomes available to takeChunk(). */
  finish(): void {
    this.out.finish();
  }

  /** CRC and length of the chunks made so far; the whole part's once finish() was called. */
  get part(): Crc64Part {
    return { crc: this.out.crc, lengthBytes: this.out.lengthBytes };
  }
}

const eofMarker = Buffer.of(rdbOpcode.eof);

/** The EOF marker and checksum, given the CRC of every byte before them (see crc64Concat). */
export function rdbFooter(crcBeforeFooter: bigint): Buffer {
  const footer = Buffer.alloc(9);
  footer[0] = rdbOpcode.eof;
  footer.writeBigUInt64LE(crc64Update(crcBeforeFooter, eofMarker), 1);
  return footer;
}

function writeAux(out: ChunkBuilder, name: string, value: string): void {
  out.reserve(1);
  out.byte(rdbOpcode.aux);
  writeString(out, name);
  writeString(out, value);
}

/** A length in the fewest bytes the format allows (rdb.h: 6, 14, 32 or 64 bits). */
function writeLength(out: ChunkBuilder, length: number): void {
  out.reserve(9);
  if (length < 1 << 6) {
    out.byte(length);
  } else if (length < 1 << 14) {
    out.byte((rdbLength.bits14 << 6) | (length >>> 8));
    out.byte(length & 0xff);
  } else if (length <= 0xffffffff) {
    out.byte(rdbLength.bits32Byte);
    out.uint32Be(length);
  } else {
    out.byte(rdbLength.bits64Byte);
    out.uint32Be(Math.floor(length / 2 ** 32));
    out.uint32Be(length % 2 ** 32);
  }
}

function writeString(out: ChunkBuilder, text: string): void {
  const integer = text.length <= 11 ? canonicalInt32(text) : null;
  if (integer !== null) {
    writeInteger(out, integer);
    return;
  }
  writeLength(out, text.length);
  out.latin1(text);
}

/** The integer `text` spells when Redis would store it integer-encoded: decimal, no sign but
 * "-", no leading zeros, in 32 bits (rdbTryIntegerEncoding). */
function canonicalInt32(text: string): number | null {
  const first = text.charCodeAt(0);
  if (first !== 0x2d && (first < 0x30 || first > 0x39)) return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) return null;
  return String(value) === text ? value : null;
}

function writeInteger(out: ChunkBuilder, value: number): void {
  const special = rdbLength.special << 6;
  out.reserve(5);
  if (value >= -128 && value <= 127) {
    out.byte(special | rdbStringEncoding.int8);
    out.byte(value & 0xff);
  } else if (value >= -32768 && value <= 32767) {
    out.byte(special | rdbStringEncoding.int16);
    out.byte(value & 0xff);
    out.byte((value >> 8) & 0xff);
  } else {
    out.byte(special | rdbStringEncoding.int32);
    out.uint32Le(value >>> 0);
  }
}

function takeAll(out: ChunkBuilder): Buffer {
  out.finish();
  const chunks: Buffer[] = [];
  for (let chunk = out.take(); chunk !== null; chunk = out.take()) chunks.push(chunk);
  return Buffer.concat(chunks);
}
