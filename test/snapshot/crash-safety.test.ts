/**
 * A snapshot never costs the previous one (SPEC.md section 9): a file that cannot be loaded
 * stops the start and is left byte for byte as it was; a server killed in the middle of a
 * snapshot leaves the previous file whole and loadable; a snapshot that cannot be written (a
 * directory the server may not write, a full disk, a shard failing under it) is an error to
 * SAVE and in the log, the server keeps serving, and the previous file stays.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeRdbFile } from '../rdb/rdb-files.js';
import { Client } from '../support/client.js';
import {
  connectRedis,
  infoField,
  refusedStart,
  startHaus,
  startHausAs,
  temporaryDirectory,
} from './snapshot-servers.js';

const entries = Array.from({ length: 200 }, (_, i) => ({
  key: `key:${i}`,
  value: `value ${i} ${'v'.repeat(40)}`,
  expireAtMs: 0,
}));

test('a cut-short, corrupt or foreign file stops the start, and is left as it was', async () => {
  const good = writeRdbFile(entries, { partCount: 2 });
  const corrupt = Buffer.from(good);
  corrupt[good.length - 200] = (corrupt[good.length - 200] as number) ^ 0xff;
  const cases: Array<[string, Buffer, RegExp]> = [
    ['cut short', good.subarray(0, good.length - 37), /truncated at byte \d+: the file ends/],
    ['a flipped byte', corrupt, /bad-checksum at byte \d+: the file's CRC-64 is 0x/],
    ['not an RDB file', Buffer.from('{"some": "json"}\n'), /bad-magic at byte 0: not an RDB file/],
  ];
  for (const [name, bytes, problem] of cases) {
    const dir = temporaryDirectory();
    const file = join(dir, 'dump.rdb');
    writeFileSync(file, bytes);
    const modifiedAt = statSync(file).mtimeMs;
    const { code, output } = await refusedStart(file);
    assert.equal(code, 1, name);
    assert.ok(output.includes(`cannot load snapshot file ${file}`), `${name}: ${output}`);
    assert.match(output, problem, name);
    assert.match(output, /Haus did not start and left the file unchanged/, name);
    assert.ok(readFileSync(file).equals(bytes), `${name}: the file is byte for byte the same`);
    assert.equal(statSync(file).mtimeMs, modifiedAt, name);
    assert.equal(existsSync(`${file}.tmp`), false, name);
  }
});

test('a server killed during a snapshot leaves the previous one whole and loadable', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const haus = await startHaus(file, { shards: 2 });
  const value = 'x'.repeat(200);
  const fill = async (from: number, to: number) => {
    for (let start = from; start < to; start += 1000) {
      const pairs: string[] = [];
      for (let i = start; i < Math.min(to, start + 1000); i++) pairs.push(`key:${i}`, value);
      await haus.redis.mset(pairs);
    }
  };
  await fill(0, 1000);
  assert.equal(await haus.redis.save(), 'OK');
  const previous = readFileSync(file);
  // Enough that the next snapshot takes a while (~25 MB): it is killed as its first chunks land.
  await fill(1000, 120_000);
  assert.equal(await haus.redis.bgsave(), 'Background saving started');
  const temporary = `${file}.tmp`;
  const deadline = Date.now() + 10_000;
  while (!(existsSync(temporary) && statSync(temporary).size > 64 * 1024)) {
    assert.ok(Date.now() < deadline, 'the snapshot never started writing');
    await sleep(1);
  }
  haus.redis.disconnect();
  await haus.server.stop('SIGKILL');
  assert.ok(readFileSync(file).equals(previous), 'the previous snapshot is untouched');
  assert.ok(existsSync(temporary), 'the unfinished snapshot is left behind by the kill');

  const again = await startHaus(file, { shards: 3 });
  assert.equal(await again.redis.dbsize(), 1000);
  assert.equal(await again.redis.get('key:999'), value);
  assert.ok(
    again.server.logs.some((line) => /unfinished snapshot a crash left/.test(line.msg)),
    'the leftover is reported',
  );
  assert.equal(existsSync(temporary), false, 'and removed');
  assert.equal(await again.stop(), 0);
});

/** A directory the server cannot write: root may write anywhere, so as root the server runs
 * as `nobody`. */
function unwritableDirectory(): { dir: string; uid: number | null } {
  const parent = temporaryDirectory();
  chmodSync(parent, 0o755);
  const dir = join(parent, 'snapshots');
  mkdirSync(dir);
  writeFileSync(join(dir, 'dump.rdb'), writeRdbFile(entries));
  chmodSync(join(dir, 'dump.rdb'), 0o644);
  chmodSync(dir, 0o555);
  return { dir, uid: process.getuid?.() === 0 ? 65534 : null };
}

test('SAVE into a directory the server cannot write gives a clear error; serving goes on', async () => {
  const { dir, uid } = unwritableDirectory();
  const file = join(dir, 'dump.rdb');
  const previous = readFileSync(file);
  const args = ['--snapshot-file', file];
  const haus = await startHausAs(uid ?? process.getuid?.() ?? 0, args);
  const redis = await connectRedis(haus.port);
  assert.equal(await redis.dbsize(), entries.length);
  await assert.rejects(
    redis.save(),
    /ERR snapshot not written: cannot create .*dump\.rdb\.tmp: permission denied: the server's user may not write there \(EACCES\); the previous snapshot file is unchanged/,
  );
  const client = await Client.connect(haus.port);
  const reply = await client.call('SAVE');
  assert.equal(reply.status, 'Error');
  assert.match(reply.mesg ?? '', /^snapshot not written: cannot create .*permission denied/);
  // Still serving, both protocols.
  assert.deepEqual(await client.call('PUT after failure'), { status: 'Ok' });
  assert.equal(await redis.get('after'), 'failure');
  assert.equal(await infoField(redis, 'rdb_last_bgsave_status'), 'err');
  client.close();
  redis.disconnect();
  assert.ok(readFileSync(file).equals(previous), 'the previous snapshot stays');
  assert.match(haus.output(), /"msg":"snapshot failed; the previous snapshot file is unchanged"/);
  // The last snapshot fails too: the exit code says so.
  assert.equal(await haus.stop(), 1);
  assert.ok(readFileSync(file).equals(previous));
});

test('a shard that fails during a snapshot fails that snapshot only; the file stays', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const haus = await startHaus(file, { shards: 2, args: ['--enable-debug-commands'] });
  const value = 'y'.repeat(200);
  for (let start = 0; start < 100_000; start += 1000) {
    const pairs: string[] = [];
    for (let i = start; i < start + 1000; i++) pairs.push(`key:${i}`, value);
    await haus.redis.mset(pairs);
  }
  assert.equal(await haus.redis.save(), 'OK');
  const previous = readFileSync(file);
  await haus.redis.set('one more', 'write');
  const failing = haus.redis.save();
  const temporary = `${file}.tmp`;
  // The header is written once every shard has begun: then shard 0 dies in its part.
  const deadline = Date.now() + 10_000;
  while (!(existsSync(temporary) && statSync(temporary).size > 0)) {
    assert.ok(Date.now() < deadline, 'the snapshot never started writing');
    await sleep(1);
  }
  const client = await Client.connect(haus.server.port);
  await client.call('DEBUG CRASH-SHARD 0');
  client.close();
  await assert.rejects(failing, /snapshot not written: shard 0 failed during the snapshot/);
  assert.ok(readFileSync(file).equals(previous), 'the previous snapshot stays');
  assert.equal(existsSync(temporary), false);
  // The next one works, with what the shards hold now (shard 0 restarted empty).
  assert.equal(await haus.redis.save(), 'OK');
  assert.equal(await haus.stop(), 0);
});

test('a full disk fails SAVE with the reason; the previous file stays and the next SAVE works', async () => {
  const file = join(temporaryDirectory(), 'dump.rdb');
  const haus = await startHaus(file, { shards: 2 });
  await haus.redis.mset(entries.flatMap((entry) => [entry.key, entry.value]));
  assert.equal(await haus.redis.save(), 'OK');
  const previous = readFileSync(file);
  await haus.redis.set('one more', 'write');
  // The temporary file is opened for writing through whatever sits at its path: /dev/full
  // answers every write with ENOSPC, as a full disk does.
  const temporary = `${file}.tmp`;
  symlinkSync('/dev/full', temporary);
  await assert.rejects(
    haus.redis.save(),
    /ERR snapshot not written: .*the disk is full \(ENOSPC\); the previous snapshot file is unchanged/,
  );
  assert.ok(readFileSync(file).equals(previous), 'the previous snapshot stays');
  assert.equal(existsSync(temporary), false, 'what was written is removed');
  assert.equal(await infoField(haus.redis, 'rdb_last_bgsave_status'), 'err');
  // Still serving; room again: the next snapshot holds everything.
  assert.equal(await haus.redis.get('one more'), 'write');
  assert.equal(await haus.redis.save(), 'OK');
  assert.equal(await haus.stop(), 0);
  const restarted = await startHaus(file, { shards: 2 });
  assert.equal(await restarted.redis.dbsize(), entries.length + 1);
  assert.equal(await restarted.redis.get('one more'), 'write');
  assert.equal(await restarted.stop(), 0);
});
