/**
 * A snapshot is one point in time (SPEC.md section 9): taken while clients commit transactions
 * across shards, it holds each transaction wholly or not at all. Four clients each commit, again
 * and again, a transaction writing one number to 8 keys spread over the shards; snapshots are
 * taken meanwhile; every one is read back, and a server restarted from the last: the 8 keys of
 * every group agree.
 */
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readRdbFile } from '../rdb/rdb-files.js';
import { Client } from '../support/client.js';
import { startHaus, temporaryDirectory } from './snapshot-servers.js';

const clientCount = 4;
const keysPerTransaction = 8;
/** Each client rotates over this many groups of keys, so snapshots meet writes to keys they
 * have written and to keys they have not reached yet. */
const groupsPerClient = 40;
const snapshotsMin = 2;
const snapshotsMax = 10;

const keyOf = (client: number, group: number, key: number) => `tx:${client}:${group}:${key}`;

/** Commits transactions until `stop()` is called; each is pipelined whole (START, PUTs,
 * COMMIT), and every reply must be Ok. */
async function commitLoop(
  port: number,
  client: number,
  running: () => boolean,
  committed: number[],
): Promise<number> {
  const connection = await Client.connect(port);
  let round = 0;
  while (running()) {
    const group = round % groupsPerClient;
    const lines = ['START'];
    for (let key = 0; key < keysPerTransaction; key++) {
      lines.push(`PUT ${keyOf(client, group, key)} ${round}`);
    }
    lines.push('COMMIT');
    connection.write(`${lines.join('\n')}\n`);
    const replies = await connection.readLines(lines.length);
    for (const reply of replies) assert.equal(reply, '{"status": "Ok"}');
    round++;
    committed[client] = round;
  }
  connection.close();
  return round;
}

test('a snapshot taken while 4 clients commit multi-shard transactions holds each one whole', async () => {
  const dir = temporaryDirectory();
  const file = join(dir, 'dump.rdb');
  const haus = await startHaus(file, { shards: 4 });
  // Filler, so each snapshot takes long enough for many commits to land while it runs.
  for (let start = 0; start < 40_000; start += 1000) {
    const pairs: string[] = [];
    for (let i = start; i < start + 1000; i++) pairs.push(`filler:${i}`, 'f'.repeat(100));
    await haus.redis.mset(pairs);
  }
  let running = true;
  const committed = Array.from({ length: clientCount }, () => 0);
  const loops = Array.from({ length: clientCount }, (_, client) =>
    commitLoop(haus.server.port, client, () => running, committed),
  );
  while (committed.some((rounds) => rounds < 10)) await sleep(5);
  const copies: string[] = [];
  // Snapshots until one has met a commit to a key its walk had not reached (on a fast machine
  // a walk can end between two commits), at most snapshotsMax.
  const keysWrittenEarly = () =>
    haus.server.logs
      .filter((line) => line.msg === 'snapshot written')
      .reduce((sum, line) => sum + (line.keysWrittenEarly as number), 0);
  for (let i = 0; i < snapshotsMax && (i < snapshotsMin || keysWrittenEarly() === 0); i++) {
    assert.equal(await haus.redis.save(), 'OK');
    const copy = join(dir, `during-${i}.rdb`);
    copyFileSync(file, copy);
    copies.push(copy);
  }
  running = false;
  await Promise.all(loops);
  assert.equal(await haus.stop(), 0);
  // Read once the server is gone: log lines come through a pipe, after the replies.
  const early = keysWrittenEarly();

  const keys: string[] = [];
  for (let client = 0; client < clientCount; client++) {
    for (let group = 0; group < groupsPerClient; group++) {
      for (let key = 0; key < keysPerTransaction; key++) keys.push(keyOf(client, group, key));
    }
  }
  const checkWhole = (copy: string, values: ReadonlyArray<string | null | undefined>) => {
    for (let at = 0; at < values.length; at += keysPerTransaction) {
      const group = values.slice(at, at + keysPerTransaction);
      assert.ok(
        group.every((value) => value === group[0]),
        `${copy}: ${keys[at]}..: ${JSON.stringify(group)} (a transaction split)`,
      );
    }
    assert.ok(
      values.some((value) => value !== null && value !== undefined),
      `${copy}: no transaction in it`,
    );
  };
  // Every copy read as a file; the last one also by a server restarted from it.
  for (const copy of copies) {
    const inFile = new Map(readRdbFile(readFileSync(copy)).map((e) => [e.key, e.value]));
    checkWhole(
      copy,
      keys.map((key) => inFile.get(key)),
    );
  }
  const last = copies.at(-1) as string;
  const restarted = await startHaus(last, { shards: 3 });
  checkWhole(last, await restarted.redis.mget(keys));
  assert.equal(await restarted.stop(), 0);
  // The shards wrote some keys before their turn because a commit was about to change them:
  // the path this test is about was taken.
  assert.ok(early > 0, `keys written early: ${early}`);
});
