/**
 * The vocabulary of Redis's RDB snapshot format that Haus reads and writes: the magic, the
 * versions, the opcodes, the value types (by name, so an error can say "list" rather than 18),
 * the string encodings, and the one entry shape both sides share.
 *
 * Specification: redis/redis `src/rdb.h` and `src/rdb.c` at tag 7.0.15 (RDB_VERSION 10), and
 * the community write-up "Redis RDB File Format" (rdb.fnordig.de/file_format.html). Values
 * here are fixed by files already on disk everywhere, so they never change.
 */

/** One key as Haus holds it: latin1 strings (one character per byte) and the expiry in ms
 * since the epoch, 0 meaning none. */
export interface RdbEntry {
  key: string;
  value: string;
  expireAtMs: number;
}

export const rdbMagic = 'REDIS';
/** Version 9 (Redis 5.0) is the newest whose string encoding differs in nothing from 10 (Redis
 * 7.0): 10 only added listpack types. Writing 9 lets Redis 5.0 to 7.x and older tools (which
 * stop at 9) load a Haus snapshot too. */
export const rdbVersionWritten = 9;
/** Redis 7.0 loads 1..10. Haus also reads 11 and 12 (Redis 7.2, 7.4): their strings are encoded
 * exactly as in 10, and any newer value type still stops the load by name. Before version 5
 * a file has no checksum; before 9 Redis wrote EXPIRETIME_MS in the host's byte order, and as
 * every Redis we can meet ran little-endian, Haus reads all versions as little-endian. */
export const rdbVersionReadMin = 1;
export const rdbVersionReadMax = 12;
export const rdbVersionFirstWithChecksum = 5;

export const rdbOpcode = {
  function2: 0xf5,
  functionPreGa: 0xf6,
  moduleAux: 0xf7,
  idle: 0xf8,
  freq: 0xf9,
  aux: 0xfa,
  resizeDb: 0xfb,
  expireTimeMs: 0xfc,
  expireTimeS: 0xfd,
  selectDb: 0xfe,
  eof: 0xff,
} as const;

export const rdbTypeString = 0;

/** Every value type Redis has written, as the data type a user knows and the encoding it was
 * saved in. Redis 7.0 writes lists as type 18 (quicklist 2), hashes and sorted sets as
 * listpacks (16, 17) when small, sets as intsets (11) when they hold only integers. */
export const rdbTypeNames: ReadonlyMap<number, { type: string; encoding: string }> = new Map([
  [0, { type: 'string', encoding: 'raw' }],
  [1, { type: 'list', encoding: 'linkedlist' }],
  [2, { type: 'set', encoding: 'hashtable' }],
  [3, { type: 'zset', encoding: 'skiplist' }],
  [4, { type: 'hash', encoding: 'hashtable' }],
  [5, { type: 'zset', encoding: 'skiplist with binary scores' }],
  [6, { type: 'module', encoding: 'module pre-GA' }],
  [7, { type: 'module', encoding: 'module' }],
  [9, { type: 'hash', encoding: 'zipmap' }],
  [10, { type: 'list', encoding: 'ziplist' }],
  [11, { type: 'set', encoding: 'intset' }],
  [12, { type: 'zset', encoding: 'ziplist' }],
  [13, { type: 'hash', encoding: 'ziplist' }],
  [14, { type: 'list', encoding: 'quicklist' }],
  [15, { type: 'stream', encoding: 'listpacks' }],
  [16, { type: 'hash', encoding: 'listpack' }],
  [17, { type: 'zset', encoding: 'listpack' }],
  [18, { type: 'list', encoding: 'quicklist' }],
  [19, { type: 'stream', encoding: 'listpacks' }],
  [20, { type: 'set', encoding: 'listpack' }],
  [21, { type: 'stream', encoding: 'listpacks' }],
  [22, { type: 'hash', encoding: 'hashtable with field expiry' }],
  [23, { type: 'hash', encoding: 'listpack with field expiry' }],
  [24, { type: 'hash', encoding: 'hashtable with field expiry' }],
  [25, { type: 'hash', encoding: 'listpack with field expiry' }],
]);

/** The top two bits of a length's first byte say how the length is stored. */
export const rdbLength = {
  bits6: 0,
  bits14: 1,
  /** 0x80 and 0x81 share the top bits 10; the whole byte tells 32 from 64 bits. */
  bits32Byte: 0x80,
  bits64Byte: 0x81,
  /** 11: not a length but a special string encoding, in the low six bits. */
  special: 3,
} as const;

export const rdbStringEncoding = { int8: 0, int16: 1, int32: 2, lzf: 3 } as const;

/** Redis's proto-max-bulk-len default: no Redis string is longer, so a longer length in a file
 * is corruption, refused before anything is allocated for it. */
export const rdbStringBytesMaxDefault = 512 * 1024 * 1024;
/** A shard hands the writer's output on in pieces of about this size: big enough that each
 * write to the file is cheap, small enough that a snapshot's extra memory stays a few MiB. */
export const rdbChunkBytesDefault = 1024 * 1024;
