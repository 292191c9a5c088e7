/**
 * A shard thread killed under load (DEBUG CRASH-SHARD): the server keeps serving, commands
 * waiting on that shard get an Error, and no committed transaction is seen half-applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { startServer } from '../support/server-process.js';

test('a shard killed under load: the server keeps serving and no commit is half-applied', {
  timeout: 60_000,
}, async (t) => {
  const server = await startServer(['--shards', '2', '--enable-debug-commands']);
  t.after(() => server.stop());
  let running = true;
  const errors: string[] = [];

  // Writers commit pairs of keys that always carry the same round number.
  const writer = async (w: number) => {
    const client = await Client.connect(server.port);
    for (let round = 0; running; round++) {
      client.write(`START\nPUT a${w} ${round}\nPUT b${w} ${round}\nCOMMIT\n`);
      const replies = (await client.readLines(4)).map((line) => JSON.parse(line));
      const commit = replies[3];
      if (commit.status !== 'Ok') errors.push(commit.mesg);
    }
    client.close();
  };
  // Readers GET a then b in one pipeline. Commits only raise the round, so a whole commit
  // gives b >= a; b < a would be a commit seen half-applied. A key lost with a crashed shard
  // reads as missing and proves nothing either way.
  const tornPairs: string[] = [];
  const reader = async (w: number) => {
    const client = await Client.connect(server.port);
    while (running) {
      client.write(`GET a${w}\nGET b${w}\n`);
      const [a, b] = (await client.readLines(2)).map((line) => JSON.parse(line));
      if (a.status === 'Ok' && b.status === 'Ok' && Number(b.result) < Number(a.result)) {
        tornPairs.push(`a=${a.result} b=${b.result}`);
      }
    }
    client.close();
  };
  const work = [0, 1, 2, 3].flatMap((w) => [writer(w), reader(w)]);
  await sleep(300);
  const admin = await Client.connect(server.port);
  for (const shard of [0, 1, 0]) {
    const reply = await admin.call(`DEBUG CRASH-SHARD ${shard}`);
    assert.equal(reply.status, 'Error');
    await sleep(300);
  }
  running = false;
  await Promise.all(work);
  await server.waitForLog((log) => String(log.msg).startsWith('shard failed'));
  for (const message of errors) assert.match(message, /shard \d failed/);
  assert.deepEqual(tornPairs, []);
  // Serving as before, no lock left behind.
  assert.deepEqual(await admin.call('PUT after crash'), { status: 'Ok' });
  assert.deepEqual(await admin.call('GET after'), { status: 'Ok', result: 'crash' });
  assert.deepEqual(await admin.call('DEBUG LOCKS'), { status: 'Ok', result: '0' });
  admin.close();
});
