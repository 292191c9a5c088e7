/**
 * Migration both ways with a real redis-server (SPEC.md section 9): a snapshot a Haus server
 * wrote loads into Redis with the same keys, values and expiry times; a dump.rdb that Redis
 * wrote loads into Haus; one holding a list is refused, naming the key and its type.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allBytes } from '../rdb/rdb-files.js';
import { redisMissing, startRedis } from '../rdb/redis-server.js';
import { refusedStart, startHaus, temporaryDirectory } from './snapshot-servers.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const hourMs = 3_600_000;
const ttlSlackMs = 10_000;

test('a snapshot a Haus server wrote loads into redis-server with the same keys and values', {
  skip: redisMissing,
}, async () => {
  const hausDir = temporaryDirectory();
  const haus = await startHaus(join(hausDir, 'dump.rdb'), { shards: 3 });
  const expected = new Map<string, string>([
    [allBytes, allBytes],
    ['crlf\r\n', '\r\n'],
    ['number', '42'],
    ['big', 'z'.repeat(300_000)],
  ]);
  for (let i = 0; i < 500; i++) expected.set(`key:${i}`, `value:${i}`);
  for (const [key, value] of expected) await haus.redis.set(latin1(key), latin1(value));
  await haus.redis.set('expiring', 'soon', 'PX', hourMs);
  assert.equal(await haus.redis.save(), 'OK');
  assert.equal(await haus.stop(), 0);

  const redisDir = temporaryDirectory();
  copyFileSync(join(hausDir, 'dump.rdb'), join(redisDir, 'dump.rdb'));
  const redis = await startRedis(redisDir);
  try {
    assert.equal(await redis.client.dbsize(), expected.size + 1);
    for (const [key, value] of expected) {
      const stored = await redis.client.getBuffer(latin1(key));
      assert.ok(stored?.equals(latin1(value)), `value of ${JSON.stringify(key.slice(0, 20))}`);
      assert.equal(await redis.client.pttl(latin1(key)), -1);
    }
    const ttlMs = await redis.client.pttl('expiring');
    assert.ok(ttlMs > hourMs - ttlSlackMs, `PTTL ${ttlMs}`);
  } finally {
    await redis.stop();
  }
});

test('a dump.rdb that redis-server wrote loads into Haus', { skip: redisMissing }, async () => {
  const dir = temporaryDirectory();
  const redis = await startRedis(dir);
  const expected = new Map<string, string>([
    [allBytes, allBytes],
    ['int8', '7'],
    ['int32', '-2000000000'],
    // Long and repetitive: Redis saves it LZF-compressed.
    ['compressed', 'abc'.repeat(10_000)],
  ]);
  try {
    for (const [key, value] of expected) await redis.client.set(latin1(key), latin1(value));
    await redis.client.set('expiring', 'x', 'PX', hourMs);
    await redis.client.save();
  } finally {
    await redis.stop();
  }
  const haus = await startHaus(redis.dumpPath, { shards: 2 });
  assert.equal(await haus.redis.dbsize(), expected.size + 1);
  for (const [key, value] of expected) {
    const stored = await haus.redis.getBuffer(latin1(key));
    assert.ok(stored?.equals(latin1(value)), `value of ${JSON.stringify(key.slice(0, 20))}`);
  }
  const ttlMs = await haus.redis.pttl('expiring');
  assert.ok(ttlMs > hourMs - ttlSlackMs, `PTTL ${ttlMs}`);
  assert.equal(await haus.stop(), 0);
});

test('a dump.rdb holding a list is refused, naming the key and its type', {
  skip: redisMissing,
}, async () => {
  const dir = temporaryDirectory();
  const redis = await startRedis(dir);
  try {
    await redis.client.set('fine', 'string');
    await redis.client.rpush('queue:jobs', 'a', 'b');
    await redis.client.save();
  } finally {
    await redis.stop();
  }
  const before = readFileSync(redis.dumpPath);
  const { code, output } = await refusedStart(redis.dumpPath);
  assert.notEqual(code, 0);
  assert.match(output, /cannot load snapshot file .*dump\.rdb/);
  assert.match(output, /key \\?"queue:jobs\\?" holds a list/);
  assert.ok(readFileSync(redis.dumpPath).equals(before), 'the file is left as it was');
});
