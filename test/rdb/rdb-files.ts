/**
 * Whole RDB files for the tests, built the way a snapshot will be: a header, parts encoded
 * separately (as shards will), a footer whose checksum is combined from the parts; and read
 * back from chunks cut at chosen points. Also raw files made by hand, sealed with a good CRC.
 */
import { crc64 } from '../../workers/rdb/crc64.js';
import { crc64Concat, crc64Part } from '../../workers/rdb/crc64-combine.js';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { RdbReader } from '../../workers/rdb/rdb-reader.js';
import { RdbEntryEncoder, rdbFooter, rdbHeader } from '../../workers/rdb/rdb-writer.js';

export interface WriteOptions {
  /** How many encoders (shards) the entries are dealt over, round robin. */
  partCount?: number;
  chunkBytes?: number;
  createdAtMs?: number;
}

export function writeRdbFile(entries: readonly RdbEntry[], options: WriteOptions = {}): Buffer {
  const partCount = options.partCount ?? 1;
  const header = rdbHeader({
    createdAtMs: options.createdAtMs ?? Date.now(),
    usedMemoryBytes: 1234567,
    keyCount: entries.length,
    expiringKeyCount: entries.filter((e) => e.expireAtMs !== 0).length,
  });
  const chunks: Buffer[] = [header];
  const summaries = [crc64Part(header)];
  for (let part = 0; part < partCount; part++) {
    const encoder = new RdbEntryEncoder({ chunkBytes: options.chunkBytes ?? 1024 * 1024 });
    for (let i = part; i < entries.length; i += partCount) {
      const entry = entries[i] as RdbEntry;
      encoder.add(entry.key, entry.value, entry.expireAtMs);
      for (let chunk = encoder.takeChunk(); chunk !== null; chunk = encoder.takeChunk()) {
        chunks.push(chunk);
      }
    }
    encoder.finish();
    for (let chunk = encoder.takeChunk(); chunk !== null; chunk = encoder.takeChunk()) {
      chunks.push(chunk);
    }
    summaries.push(encoder.part);
  }
  chunks.push(rdbFooter(crc64Concat(summaries).crc));
  return Buffer.concat(chunks);
}

/** Reads `file` pushed as chunks cut at `cuts` (ascending offsets); throws what the reader
 * throws, including from end(). */
export function readRdbFile(file: Uint8Array, cuts: readonly number[] = []): RdbEntry[] {
  const reader = new RdbReader();
  const entries: RdbEntry[] = [];
  let from = 0;
  for (const cut of [...cuts, file.length]) {
    reader.push(file.subarray(from, cut));
    from = cut;
    for (let entry = reader.next(); entry !== null; entry = reader.next()) entries.push(entry);
  }
  reader.end();
  return entries;
}

/** A hand-made file: header, `body` as given, EOF and a correct checksum. */
export function sealRdb(body: Uint8Array, version = 9): Buffer {
  const header = Buffer.from(`REDIS${String(version).padStart(4, '0')}`, 'latin1');
  const withEof = Buffer.concat([header, body, Buffer.of(0xff)]);
  const checksum = Buffer.alloc(8);
  checksum.writeBigUInt64LE(crc64(withEof));
  return Buffer.concat([withEof, checksum]);
}

/** Every byte value once, as a latin1 string. */
export const allBytes = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
