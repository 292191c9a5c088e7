/**
 * Reads an RDB file of string keys as it streams in: push chunks, pull entries. It reads what
 * Redis 7.0 writes (redis/redis `src/rdb.c`, rdbLoadRioWithLoadingCtx at tag 7.0.15) for a
 * keyspace of strings, and files written by Haus's own writer:
 * - strings as raw bytes with any length encoding, as 8/16/32-bit integers, or LZF-compressed
 *   (keys too: Redis encodes a key like a value);
 * - opcodes AUX (kept in `aux`), RESIZEDB (kept as a hint), SELECTDB, EXPIRETIME_MS,
 *   EXPIRETIME (seconds), FREQ and IDLE (skipped: Haus keeps no LRU/LFU data), EOF;
 * - the CRC-64 after EOF, verified; 0 means "saved with rdbchecksum no" and is accepted, as
 *   Redis does.
 * Anything Haus cannot hold stops the load with an RdbError rather than being dropped
 * silently: a value of another type (named: list, set, zset, hash, stream, module), module
 * data, a function library, and keys in a database other than 0. Haus has one keyspace;
 * merging databases could make two different keys one, so the operator decides in Redis
 * (MOVE the keys, or flush that database) and then saves again.
 *
 * The reader keeps no clock: a key whose expiry has passed is returned like any other and the
 * loader drops it, as Redis does when loading as a primary.
 * Memory: one item (a key and its value) plus the chunk that completes it; a length over
 * `stringBytesMax` is an error before anything is allocated for it.
 */
import { ByteWindow, NeedMoreBytes } from './byte-window.js';
import { describeKey, RdbError } from './rdb-error.js';
import { hex, RdbFieldReader } from './rdb-field-reader.js';
import {
  type RdbEntry,
  rdbMagic,
  rdbOpcode,
  rdbStringBytesMaxDefault,
  rdbTypeNames,
  rdbTypeString,
  rdbVersionFirstWithChecksum,
  rdbVersionReadMax,
  rdbVersionReadMin,
} from './rdb-format.js';

export interface RdbReaderOptions {
  /** Longest string accepted, in bytes; Redis's proto-max-bulk-len (512 MiB) by default. */
  stringBytesMax?: number;
}

const headerBytes = 9;
const checksumBytes = 8;

export class RdbReader {
  /** AUX fields seen so far (redis-ver, ctime, used-mem...), for logging. */
  readonly aux = new Map<string, string>();
  /** RDB version from the header, once read. */
  version = 0;
  /** Keys in the file as its RESIZEDB said, once read: for progress logs and pre-sizing. */
  keyCountHint: number | null = null;

  private readonly input = new ByteWindow();
  private readonly fields: RdbFieldReader;
  private phase: 'header' | 'body' | 'done' = 'header';
  private database = 0;
  /** Set by an expiry opcode, for the key that follows it. */
  private expireAtMs = 0;
  private itemBytesNeeded = headerBytes;
  private failure: RdbError | null = null;

  constructor(options: RdbReaderOptions = {}) {
    const stringBytesMax = options.stringBytesMax ?? rdbStringBytesMaxDefault;
    this.fields = new RdbFieldReader(this.input, stringBytesMax);
  }

  /** The reader keeps `chunk` until it is parsed: do not reuse its memory. */
  push(chunk: Uint8Array): void {
    this.input.push(chunk);
  }

  /** The next key, or null when more input is needed (or the file is complete). */
  next(): RdbEntry | null {
    if (this.failure !== null) throw this.failure;
    while (this.phase !== 'done') {
      if (this.input.availableBytes < this.itemBytesNeeded) return null;
      this.input.merge();
      try {
        const entry = this.readItem();
        this.input.commit();
        this.itemBytesNeeded = 1;
        if (entry !== null) return entry;
      } catch (error) {
        if (!(error instanceof NeedMoreBytes)) throw this.fail(error);
        this.input.rewind();
        this.itemBytesNeeded = error.itemBytes;
        return null;
      }
    }
    return null;
  }

  /** True once the EOF marker and a good checksum have been read. */
  get complete(): boolean {
    return this.phase === 'done';
  }

  /** Bytes parsed so far: with the file's size, a load's progress. */
  get parsedBytes(): number {
    return this.input.committedOffset;
  }

  /** Call when the input has ended: throws unless it held exactly one whole RDB file. */
  end(): void {
    if (this.next() !== null) throw new Error('RdbReader.end() called with entries unread');
    if (this.phase !== 'done') {
      const at = this.input.committedOffset;
      throw this.fail(
        new RdbError(
          'truncated',
          at + this.input.availableBytes,
          `the file ends inside the item starting at byte ${at}, which needs at least ` +
            `${this.itemBytesNeeded} bytes; it has ${this.input.availableBytes}. The file ` +
            'was cut short (a disk full, or a copy or write that did not finish).',
        ),
      );
    }
    if (this.input.availableBytes > 0) {
      throw this.fail(
        new RdbError(
          'trailing-bytes',
          this.input.committedOffset,
          `${this.input.availableBytes} bytes follow the checksum, where the file should end`,
        ),
      );
    }
  }

  private fail(error: unknown): unknown {
    if (error instanceof RdbError) this.failure = error;
    return error;
  }

  private readItem(): RdbEntry | null {
    if (this.phase === 'header') {
      this.readHeader();
      return null;
    }
    const typeOffset = this.input.cursorOffset;
    const type = this.input.uint8();
    switch (type) {
      case rdbTypeString:
        return this.readStringEntry();
      case rdbOpcode.expireTimeMs:
        this.expireAtMs = expiryFromFile(this.fields.int64Le());
        return null;
      case rdbOpcode.expireTimeS:
        this.expireAtMs = expiryFromFile(this.input.int32Le() * 1000);
        return null;
      case rdbOpcode.freq:
        this.input.uint8();
        return null;
      case rdbOpcode.idle:
        this.fields.length();
        return null;
      case rdbOpcode.aux:
        this.readAux();
        return null;
      case rdbOpcode.resizeDb:
        this.readResizeDb();
        return null;
      case rdbOpcode.selectDb:
        this.database = this.fields.length();
        return null;
      case rdbOpcode.eof:
        this.readChecksum();
        return null;
      default:
        return this.refuse(type, typeOffset);
    }
  }

  private readHeader(): void {
    const header = this.input.latin1(headerBytes);
    if (!header.startsWith(rdbMagic) || !/^\d{4}$/.test(header.slice(5))) {
      throw new RdbError('bad-magic', 0, `not an RDB file: it starts ${describeKey(header)}`);
    }
    const version = Number(header.slice(5));
    if (version < rdbVersionReadMin || version > rdbVersionReadMax) {
      const known = `${rdbVersionReadMin} to ${rdbVersionReadMax}`;
      throw new RdbError('bad-version', 5, `RDB version ${version}; Haus reads ${known}`);
    }
    this.version = version;
    this.phase = 'body';
  }

  private readStringEntry(): RdbEntry {
    const key = this.fields.string();
    const value = this.fields.string();
    if (this.database !== 0) {
      throw new RdbError(
        'other-database',
        this.input.committedOffset,
        `key ${describeKey(key)} is in database ${this.database}; Haus has one keyspace and ` +
          'loads only database 0. In Redis, MOVE these keys to database 0 (or flush that ' +
          'database) and save again.',
      );
    }
    const entry = { key, value, expireAtMs: this.expireAtMs };
    this.expireAtMs = 0;
    return entry;
  }

  private readAux(): void {
    const name = this.fields.string();
    const value = this.fields.string();
    this.aux.set(name, value);
  }

  private readResizeDb(): void {
    const keyCount = this.fields.length();
    this.fields.length();
    this.keyCountHint = keyCount;
  }

  private readChecksum(): void {
    if (this.version < rdbVersionFirstWithChecksum) {
      this.phase = 'done';
      return;
    }
    const stored = this.input.bigUint64Le();
    const computed = this.input.crcBeforeCursor(checksumBytes);
    // Redis writes 0 when saving with `rdbchecksum no`, and skips the check on load.
    if (stored !== 0n && stored !== computed) {
      throw new RdbError(
        'bad-checksum',
        this.input.cursorOffset - checksumBytes,
        `the file's CRC-64 is 0x${hex(stored)} but its bytes give 0x${hex(computed)}: ` +
          'the file is corrupt',
      );
    }
    this.phase = 'done';
  }

  /** Everything the reader knows but Haus cannot hold, or bytes that mean nothing. */
  private refuse(type: number, typeOffset: number): never {
    const named = rdbTypeNames.get(type);
    if (named !== undefined) {
      const key = this.fields.string();
      throw new RdbError(
        'unsupported-type',
        typeOffset,
        `key ${describeKey(key)} holds a ${named.type} (RDB type ${type}, ${named.encoding} ` +
          'encoding); Haus stores only strings. Delete or convert it in Redis and save again.',
      );
    }
    if (type === rdbOpcode.function2 || type === rdbOpcode.functionPreGa) {
      throw new RdbError(
        'unsupported-content',
        typeOffset,
        'the file holds a Redis function library (FUNCTION LOAD), and Haus runs no functions. ' +
          'Remove it in Redis with FUNCTION DELETE or FUNCTION FLUSH and save again.',
      );
    }
    if (type === rdbOpcode.moduleAux) {
      throw new RdbError(
        'unsupported-content',
        typeOffset,
        "the file holds a Redis module's own data (MODULE_AUX), which Haus cannot hold. " +
          'Save from a Redis without that module.',
      );
    }
    throw new RdbError('corrupt', typeOffset, `0x${hex(type)} is no RDB type or opcode`);
  }
}

/** Haus's 0 means "no expiry", so a time at or before the epoch in a file, long past, is kept
 * as 1 ms: the loader drops it as expired rather than keeping it forever. */
function expiryFromFile(expireAtMs: number): number {
  return Math.min(Math.max(expireAtMs, 1), Number.MAX_SAFE_INTEGER);
}

/** Entries from a stream of chunks, a batch per chunk (an await per key would cost more than
 * the parsing); throws an RdbError if the file is bad, cut short, or has bytes after its end. */
export async function* readRdbEntryBatches(
  source: AsyncIterable<Uint8Array>,
  options: RdbReaderOptions = {},
): AsyncGenerator<RdbEntry[]> {
  const reader = new RdbReader(options);
  for await (const chunk of source) {
    reader.push(chunk);
    const batch: RdbEntry[] = [];
    for (let entry = reader.next(); entry !== null; entry = reader.next()) batch.push(entry);
    if (batch.length > 0) yield batch;
  }
  reader.end();
}
