/**
 * A shard thread killed under load (DEBUG CRASH-SHARD): the server keeps serving, commands
 * waiting on that shard get an Error, and no committed transaction is seen half-applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { Client, sleep } from '../support/client.js';
import { startServer } from '../support/server-process.js';
import { keysOnShard } from '../support/shard-keys.js';

const writerCount = 8;
/** Reads that compared a whole pair; well under what the load gives (thousands). */
const comparedReadsMin = 200;
const crashesMax = 12;

test('a shard killed under load: the server keeps serving and no commit is half-applied', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(['--shards', '2', '--enable-debug-commands']);
  t.after(() => server.stop());
  // Every pair spans both shards: writer w's first key on shard w % 2, its second on the other.
  const onShard = [
    await keysOnShard(2, 0, writerCount, 'on-shard0'),
    await keysOnShard(2, 1, writerCount, 'on-shard1'),
  ];
  const pairs = Array.from({ length: writerCount }, (_, w) => ({
    a: onShard[w % 2]?.[w] as string,
    b: onShard[(w + 1) % 2]?.[w] as string,
  }));
  let running = true;
  const commitErrors: string[] = [];
  let commitsOk = 0;

  // Writers commit pairs of keys that always carry the same round number.
  const writer = async ({ a, b }: { a: string; b: string }) => {
    const client = await Client.connect(server.port);
    for (let round = 0; running; round++) {
      client.write(`START\nPUT ${a} ${round}\nPUT ${b} ${round}\nCOMMIT\n`);
      const replies = (await client.readLines(4)).map((line) => JSON.parse(line));
      assert.deepEqual(replies.slice(0, 3), Array(3).fill({ status: 'Ok' }));
      const commit = replies[3];
      if (commit.status === 'Ok') commitsOk++;
      else commitErrors.push(commit.mesg);
    }
    client.close();
  };
  // Readers GET a then b in one pipeline. Commits only raise the round, so a whole commit
  // gives b >= a; b < a would be a commit seen half-applied. A key lost with a crashed shard
  // reads as missing and proves nothing either way.
  const tornPairs: string[] = [];
  let comparedReads = 0;
  const reader = async ({ a, b }: { a: string; b: string }) => {
    const client = await Client.connect(server.port);
    while (running) {
      client.write(`GET ${a}\nGET ${b}\n`);
      const [first, second] = (await client.readLines(2)).map((line) => JSON.parse(line));
      if (first.status === 'Ok' && second.status === 'Ok') {
        comparedReads++;
        if (Number(second.result) < Number(first.result)) {
          tornPairs.push(`${a}=${first.result} ${b}=${second.result}`);
        }
      }
    }
    client.close();
  };
  const work = pairs.flatMap((pair) => [writer(pair), reader(pair)]);
  await sleep(300);
  const admin = await Client.connect(server.port);
  // Shards 0, 1, 0 crash while writers commit; on a slow machine a crash can land between
  // commits, so crashes go on (alternating) until one has cut a commit short.
  const crashed: number[] = [];
  while (crashed.length < 3 || (commitErrors.length === 0 && crashed.length < crashesMax)) {
    const shard = crashed.length % 2;
    const okBefore = commitsOk;
    const until = Date.now() + 2_000;
    while (commitsOk < okBefore + 20 && Date.now() < until) await sleep(10);
    const reply = await admin.call(`DEBUG CRASH-SHARD ${shard}`);
    assert.equal(reply.status, 'Error');
    crashed.push(shard);
    await sleep(300);
  }
  running = false;
  await Promise.all(work);
  await server.waitForLog((log) => String(log.msg).startsWith('shard failed'));

  // The crashes really cut commits short, each with the error naming a crashed shard.
  assert.ok(commitErrors.length > 0, `no COMMIT failed (${commitsOk} Ok)`);
  const named = [0, 1].map((shard) => messages.commitShardFailed(shard));
  for (const message of commitErrors) assert.ok(named.includes(message), message);
  assert.ok(commitsOk > 100, `only ${commitsOk} commits Ok`);
  // The torn-read check really ran, before, between and after the crashes.
  assert.ok(comparedReads >= comparedReadsMin, `only ${comparedReads} pairs compared`);
  assert.deepEqual(tornPairs, []);
  // Serving as before, no lock left behind.
  assert.deepEqual(await admin.call('PUT after crash'), { status: 'Ok' });
  assert.deepEqual(await admin.call('GET after'), { status: 'Ok', result: 'crash' });
  assert.deepEqual(await admin.call('DEBUG LOCKS'), { status: 'Ok', result: '0' });
  admin.close();
});
