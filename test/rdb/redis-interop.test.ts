/**
 * Migration both ways with a real Redis 7.0 (SPEC.md section 9): a snapshot Haus writes loads
 * into redis-server, and a dump.rdb Redis writes (integers, LZF-compressed and binary strings,
 * expiry times, LRU/LFU data, no checksum) reads into Haus; other types, functions and other
 * databases are refused by name.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RdbError } from '../../workers/rdb/rdb-error.js';
import type { RdbEntry } from '../../workers/rdb/rdb-format.js';
import { allBytes, readRdbFile, writeRdbFile } from './rdb-files.js';
import { type RedisServer, redisMissing, startRedis } from './redis-server.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const byKey = (a: RdbEntry, b: RdbEntry) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const hourMs = 3_600_000;
/** PTTL is read a moment after the file was written; this much drift is fine. */
const ttlSlackMs = 10_000;

function chunkCuts(file: Uint8Array, chunkBytes: number): number[] {
  return Array.from(
    { length: Math.floor(file.length / chunkBytes) },
    (_, i) => (i + 1) * chunkBytes,
  );
}

function refusalOf(file: Uint8Array): RdbError {
  try {
    readRdbFile(file);
  } catch (error) {
    assert.ok(error instanceof RdbError, String(error));
    return error;
  }
  assert.fail('the file was accepted');
}

test('a snapshot Haus wrote in three parts loads into redis-server with the same data', {
  skip: redisMissing,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'haus-rdb-'));
  const now = Date.now();
  const live: RdbEntry[] = [
    { key: allBytes, value: allBytes, expireAtMs: 0 },
    { key: 'crlf\r\n', value: '\r\nbody\r\n', expireAtMs: now + hourMs },
    { key: 'empty', value: '', expireAtMs: 0 },
    { key: 'int', value: '-32768', expireAtMs: 0 },
    { key: '2147483648', value: '007', expireAtMs: now + 2 * hourMs },
    { key: 'big', value: randomBytes(2 * 1024 * 1024).toString('latin1'), expireAtMs: 0 },
  ];
  const expired = { key: 'expired', value: 'gone', expireAtMs: now - 1000 };
  writeFileSync(join(dir, 'dump.rdb'), writeRdbFile([...live, expired], { partCount: 3 }));
  const redis = await startRedis(dir);
  try {
    assert.match(redis.log(), /keys loaded: 6, keys expired: 1/);
    assert.equal(await redis.client.dbsize(), live.length);
    assert.equal(await redis.client.exists('expired'), 0);
    for (const entry of live) {
      const value = await redis.client.getBuffer(latin1(entry.key));
      assert.ok(value?.equals(latin1(entry.value)), `value of ${JSON.stringify(entry.key)}`);
      const ttlMs = await redis.client.pttl(latin1(entry.key));
      if (entry.expireAtMs === 0) assert.equal(ttlMs, -1);
      else assert.ok(Math.abs(ttlMs - (entry.expireAtMs - Date.now())) < ttlSlackMs, `${ttlMs}`);
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dump.rdb saved with rdbchecksum no (a checksum of 0) is read', {
  skip: redisMissing,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'haus-rdb-'));
  const redis = await startRedis(dir, ['--rdbchecksum', 'no']);
  try {
    await redis.client.set('a', 'b');
    await redis.client.save();
    const file = readFileSync(redis.dumpPath);
    assert.ok(file.subarray(-8).equals(Buffer.alloc(8)));
    assert.deepEqual(readRdbFile(file), [{ key: 'a', value: 'b', expireAtMs: 0 }]);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('a dump.rdb that redis-server wrote', { skip: redisMissing }, () => {
  let dir: string;
  let redis: RedisServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'haus-rdb-'));
    redis = await startRedis(dir);
  });
  after(async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function saveAndRead(): Promise<RdbEntry[]> {
    await redis.client.save();
    const file = readFileSync(redis.dumpPath);
    return readRdbFile(file, chunkCuts(file, 4096));
  }

  const expireAtMs = Date.now() + hourMs;
  const stored: RdbEntry[] = [
    { key: 'int:small', value: '7', expireAtMs: 0 },
    { key: 'int:negative', value: '-300', expireAtMs: 0 },
    { key: 'int:32', value: '100000', expireAtMs: 0 },
    { key: 'int:64', value: '9223372036854775807', expireAtMs: 0 },
    { key: '12345', value: 'integer key', expireAtMs: 0 },
    { key: 'lzf:value', value: 'ab'.repeat(5000), expireAtMs: 0 },
    { key: 'k'.repeat(200), value: 'compressed key', expireAtMs: 0 },
    { key: allBytes, value: [...allBytes].reverse().join(''), expireAtMs: 0 },
    { key: 'random', value: randomBytes(20_000).toString('latin1'), expireAtMs: 0 },
    { key: 'crlf', value: '\r\n\r\n', expireAtMs: 0 },
    { key: 'empty', value: '', expireAtMs: 0 },
    { key: 'expiring', value: 'soon', expireAtMs },
    { key: 'expiring:int', value: '5', expireAtMs },
  ];

  async function storeAll(): Promise<void> {
    await redis.client.flushall();
    for (const entry of stored) {
      await redis.client.set(latin1(entry.key), latin1(entry.value));
      if (entry.expireAtMs !== 0) await redis.client.pexpireat(latin1(entry.key), entry.expireAtMs);
    }
  }

  test('integers, LZF-compressed and binary strings and expiry times read back the same', async () => {
    await storeAll();
    const read = await saveAndRead();
    assert.deepEqual(read.sort(byKey), [...stored].sort(byKey));
    // 10 kB of "ab" and a 200-byte key came in far smaller: Redis compressed them.
    const rawBytes = stored.reduce((sum, e) => sum + e.key.length + e.value.length, 0);
    assert.ok(readFileSync(redis.dumpPath).length < rawBytes - 9000);
  });

  test('that file cut short or with one byte changed anywhere is refused', async () => {
    await storeAll();
    await redis.client.save();
    const file = readFileSync(redis.dumpPath);
    // Every byte of the first 400 (header, AUX fields, the first entries) and 400 more spread
    // over the rest, LZF data included: each read parses the whole file.
    const spread = Array.from({ length: 400 }, (_, i) => Math.floor((i / 400) * file.length));
    for (const at of [...Array.from({ length: 400 }, (_, i) => i), ...spread]) {
      assert.equal(refusalOf(file.subarray(0, at)).code, 'truncated', `cut at ${at}`);
      const corrupt = Buffer.from(file);
      corrupt[at] = (corrupt[at] as number) ^ 0x10;
      refusalOf(corrupt);
    }
  });

  test('LRU idle times and LFU frequencies are read past', async () => {
    await redis.client.flushall();
    await redis.client.set('a', 'b');
    await redis.client.set('c', '1');
    const expected = [
      { key: 'a', value: 'b', expireAtMs: 0 },
      { key: 'c', value: '1', expireAtMs: 0 },
    ];
    for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
      await redis.client.config('SET', 'maxmemory-policy', policy);
      assert.deepEqual((await saveAndRead()).sort(byKey), expected, policy);
    }
    await redis.client.config('SET', 'maxmemory-policy', 'noeviction');
  });

  test('a list, set, hash, sorted set or stream is refused, naming the key and type', async () => {
    const makers: Array<[string, RegExp, () => Promise<unknown>]> = [
      [
        'list',
        /key "queue" holds a list \(RDB type 18, quicklist/,
        () => {
          return redis.client.rpush('queue', 'a', 'b', 'c');
        },
      ],
      [
        'set',
        /key "ids" holds a set \(RDB type 11, intset/,
        () => {
          return redis.client.sadd('ids', 1, 2, 3);
        },
      ],
      [
        'hash',
        /key "user" holds a hash \(RDB type 16, listpack/,
        () => {
          return redis.client.hset('user', 'name', 'ada');
        },
      ],
      [
        'zset',
        /key "board" holds a zset \(RDB type 17, listpack/,
        () => {
          return redis.client.zadd('board', 1, 'ada');
        },
      ],
      [
        'stream',
        /key "events" holds a stream \(RDB type 19/,
        () => {
          return redis.client.xadd('events', '*', 'type', 'click');
        },
      ],
    ];
    for (const [type, message, make] of makers) {
      await redis.client.flushall();
      await redis.client.set('plain', 'string');
      await make();
      await redis.client.save();
      const error = refusalOf(readFileSync(redis.dumpPath));
      assert.equal(error.code, 'unsupported-type', type);
      assert.match(error.message, message);
    }
  });

  test('a function library or a key in database 1 is refused', async () => {
    await redis.client.flushall();
    const library = "#!lua name=lib\nredis.register_function('one', function() return 1 end)";
    await redis.client.call('FUNCTION', 'LOAD', library);
    await redis.client.save();
    assert.equal(refusalOf(readFileSync(redis.dumpPath)).code, 'unsupported-content');
    await redis.client.call('FUNCTION', 'FLUSH');
    await redis.client.select(1);
    await redis.client.set('elsewhere', 'v');
    await redis.client.select(0);
    await redis.client.save();
    const error = refusalOf(readFileSync(redis.dumpPath));
    assert.equal(error.code, 'other-database');
    assert.match(error.message, /key "elsewhere" is in database 1/);
  });
});
