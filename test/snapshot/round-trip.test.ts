/**
 * Warm restarts (SPEC.md section 9): what a server held comes back after a restart, with any
 * shard count, byte for byte, with its expiry times; SAVE, BGSAVE, LASTSAVE, INFO and the
 * interval behave as a Redis user expects.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { allBytes } from '../rdb/rdb-files.js';
import { Client } from '../support/client.js';
import { startServer } from '../support/server-process.js';
import { connectRedis, infoField, startHaus, temporaryDirectory } from './snapshot-servers.js';

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const hourMs = 3_600_000;

/** Keys and values a client can send only over RESP: every byte, CR and LF, empty, large. */
const binaryEntries: Array<[string, string]> = [
  [allBytes, allBytes],
  ['crlf\r\n', '\r\nvalue\r\n'],
  ['empty', ''],
  ['\u00ff\u0000', 'x'.repeat(2 * 1024 * 1024)],
  ['int', '-12345'],
];

async function expectKeys(
  haus: Awaited<ReturnType<typeof startHaus>>,
  expected: Map<string, string>,
) {
  assert.equal(await haus.redis.dbsize(), expected.size);
  for (const [key, value] of expected) {
    const stored = await haus.redis.getBuffer(latin1(key));
    assert.ok(stored?.equals(latin1(value)), `value of ${JSON.stringify(key.slice(0, 20))}`);
  }
}

test('keys written with 2 shards come back with 4, then with 1, binary ones included', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const expected = new Map<string, string>();
  const two = await startHaus(file, { shards: 2 });
  const pipeline = two.redis.pipeline();
  for (let i = 0; i < 3000; i++) {
    expected.set(`key:${i}`, `value ${i}`);
    pipeline.set(`key:${i}`, `value ${i}`);
  }
  for (const [key, value] of binaryEntries) {
    expected.set(key, value);
    pipeline.set(latin1(key), latin1(value));
  }
  await pipeline.exec();
  // The line protocol's SAVE answers once the file is written.
  assert.deepEqual(await two.lineSave(), { status: 'Ok' });
  assert.ok(existsSync(file));
  // Writes after SAVE reach the file too: SIGTERM writes the last snapshot.
  const client = await Client.connect(two.server.port);
  assert.deepEqual(await client.call('PUT utf8 grüße 说'), { status: 'Ok' });
  client.close();
  expected.set('utf8', Buffer.from('grüße 说', 'utf8').toString('latin1'));
  await two.redis.del('key:0');
  expected.delete('key:0');
  assert.equal(await two.stop(), 0);
  assert.ok(
    two.server.logs.some((line) => line.msg === 'snapshot written' && line.reason === 'shutdown'),
  );

  const four = await startHaus(file, { shards: 4 });
  const loaded = four.server.logs.find((line) => line.msg === 'snapshot loaded');
  assert.equal(loaded?.keysLoaded, expected.size);
  await expectKeys(four, expected);
  for (let i = 1; i < 100; i++) {
    await four.redis.set(`key:${i}`, `changed ${i}`);
    expected.set(`key:${i}`, `changed ${i}`);
  }
  assert.equal(await four.stop(), 0);

  const one = await startHaus(file, { shards: 1 });
  await expectKeys(one, expected);
  assert.equal(await one.stop(), 0);
});

test('expiry times are kept; a key whose time passed while the server was down is gone', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const first = await startHaus(file, { shards: 2 });
  await first.redis.set('hour', 'h', 'PX', hourMs);
  await first.redis.set('brief', 'b', 'PX', 1500);
  await first.redis.set('forever', 'f');
  const briefSetAt = Date.now();
  assert.equal(await first.stop(), 0);
  // Down until 'brief' has expired.
  await sleep(Math.max(0, briefSetAt + 1700 - Date.now()));

  const second = await startHaus(file, { shards: 3 });
  const loaded = second.server.logs.find((line) => line.msg === 'snapshot loaded');
  assert.equal(loaded?.keysLoaded, 2);
  assert.equal(loaded?.keysExpired, 1);
  const ttlMs = await second.redis.pttl('hour');
  assert.ok(ttlMs > hourMs - 10_000 && ttlMs <= hourMs, `PTTL ${ttlMs}`);
  assert.equal(await second.redis.exists('brief'), 0);
  assert.equal(await second.redis.pttl('forever'), -1);
  assert.equal(await infoField(second.redis, 'rdb_last_load_keys_expired'), '1');
  assert.equal(await second.stop(), 0);
});

test('SAVE, BGSAVE, LASTSAVE and INFO answer as Redis does', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const haus = await startHaus(file, { shards: 2 });
  const { redis } = haus;
  await redis.mset('a', '1', 'b', '2', 'c', '3');
  assert.equal(await infoField(redis, 'rdb_changes_since_last_save'), '3');
  const before = await redis.lastsave();
  assert.equal(await redis.save(), 'OK');
  assert.equal(await infoField(redis, 'rdb_changes_since_last_save'), '0');
  assert.equal(await infoField(redis, 'rdb_last_bgsave_status'), 'ok');
  assert.equal(await infoField(redis, 'rdb_saves'), '1');
  assert.ok((await redis.lastsave()) >= before);
  await redis.set('d', '4');
  assert.equal(await redis.bgsave(), 'Background saving started');
  // One runs: another is refused, unless scheduled.
  await assert.rejects(redis.bgsave(), /Background save already in progress/);
  assert.equal(await redis.call('BGSAVE', 'SCHEDULE'), 'Background saving scheduled');
  for (let i = 0; i < 100 && (await infoField(redis, 'rdb_bgsave_in_progress')) !== '0'; i++) {
    await sleep(20);
  }
  assert.equal(await infoField(redis, 'rdb_bgsave_in_progress'), '0');
  assert.equal(await infoField(redis, 'rdb_saves'), '3');
  await assert.rejects(redis.call('BGSAVE', 'NOW'), /syntax error/);
  // Where tools look for the file.
  assert.deepEqual(await redis.config('GET', 'dbfilename'), ['dbfilename', 'dump.rdb']);
  assert.deepEqual(await redis.config('GET', 'dir'), ['dir', dirname(file)]);
  assert.equal(await haus.stop(), 0);
});

test('--snapshot-interval-s writes a snapshot by itself once something changed', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const haus = await startHaus(file, { shards: 2, args: ['--snapshot-interval-s', '1'] });
  await sleep(1300);
  // Nothing changed yet: no snapshot.
  assert.equal(existsSync(file), false);
  await haus.redis.set('a', '1');
  await haus.server.waitForLog(
    (line) => line.msg === 'snapshot written' && line.reason === 'interval',
    3000,
  );
  assert.ok(existsSync(file));
  assert.equal(await haus.stop(), 0);
});

test('without --snapshot-file, SAVE says how to turn snapshots on', async () => {
  const server = await startServer(['--shards', '1']);
  const redis = await connectRedis(server.port);
  await assert.rejects(redis.save(), /snapshots are off: start Haus with --snapshot-file/);
  const client = await Client.connect(server.port);
  assert.deepEqual(await client.call('SAVE'), {
    status: 'Error',
    mesg: 'snapshots are off: start Haus with --snapshot-file',
  });
  client.close();
  redis.disconnect();
  assert.equal(await server.stop(), 0);
});
