/**
 * A shard that dies is a shard failure, not a server crash: waiting commands get an Error, the
 * shard restarts empty, the server goes on, and a commit it was part of is not half-applied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { messages } from '../../src/protocol/messages.js';
import { Client } from '../support/client.js';
import { OK, RespClient, RespError } from '../support/resp-client.js';
import { type RunningServer, startServer } from '../support/server-process.js';
import { keysOnShard } from '../support/shard-keys.js';

const ok = '{"status": "Ok"}';
const notFound = { status: 'Error', mesg: 'Key not found!' };

describe('shard failure', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--shards', '2', '--enable-debug-commands']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('a killed shard restarts empty, its waiting commands fail, others go on', async () => {
    const [lost] = await keysOnShard(2, 0, 1, 'sf-lost');
    const [kept] = await keysOnShard(2, 1, 1, 'sf-kept');
    const client = await Client.connect(server.port);
    assert.equal(await client.request(`PUT ${lost} a`), ok);
    assert.equal(await client.request(`PUT ${kept} b`), ok);
    // The GET queued behind the crash in the same batch is answered with an Error.
    client.write(`DEBUG CRASH-SHARD 0\nGET ${lost}\n`);
    const replies = (await client.readLines(2)).map((line) => JSON.parse(line));
    for (const reply of replies) {
      assert.deepEqual(reply, { status: 'Error', mesg: messages.shardFailed(0) });
    }
    assert.deepEqual(await client.call(`GET ${lost}`), notFound);
    assert.deepEqual(await client.call(`GET ${kept}`), { status: 'Ok', result: 'b' });
    assert.equal(await client.request(`PUT ${lost} again`), ok);
    assert.deepEqual(await client.call(`GET ${lost}`), { status: 'Ok', result: 'again' });
    const failureLog = await server.waitForLog((line) => line.level === 50 && line.shard === 0);
    assert.match(failureLog.msg, /restarted empty/);
    client.close();
  });

  test('a commit whose shard dies applies nothing on the other shards', async () => {
    const [onZero] = await keysOnShard(2, 0, 1, 'sf-tx0');
    const [onOne] = await keysOnShard(2, 1, 1, 'sf-tx1');
    const client = await Client.connect(server.port);
    assert.equal(await client.request(`PUT ${onZero} before`), ok);
    assert.equal(await client.request('START'), ok);
    assert.equal(await client.request(`PUT ${onZero} during`), ok);
    assert.equal(await client.request(`PUT ${onOne} during`), ok);
    // The crash and the commit's part reach shard 1 in one batch: the part never applies there,
    // and shard 0's part, applied already, is undone before the locks are released.
    client.write('DEBUG CRASH-SHARD 1\nCOMMIT\n');
    const [crash, commit] = (await client.readLines(2)).map((line) => JSON.parse(line));
    assert.deepEqual(crash, { status: 'Error', mesg: messages.shardFailed(1) });
    assert.deepEqual(commit, { status: 'Error', mesg: messages.commitShardFailed(1) });
    assert.deepEqual(await client.call(`GET ${onZero}`), { status: 'Ok', result: 'before' });
    assert.deepEqual(await client.call(`GET ${onOne}`), notFound);
    // The failed COMMIT ended the transaction.
    assert.deepEqual(await client.call('ROLLBACK'), {
      status: 'Error',
      mesg: messages.noTransaction('ROLLBACK'),
    });
    assert.deepEqual(await client.call('DEBUG LOCKS'), { status: 'Ok', result: '0' });
    client.close();
  });

  test('a commit of one shard waits for a failing commit on its key, not undone with it', async () => {
    const [onZero] = await keysOnShard(2, 0, 1, 'sf-after0');
    const [onOne] = await keysOnShard(2, 1, 1, 'sf-after1');
    const failing = await Client.connect(server.port);
    const later = await Client.connect(server.port);
    assert.equal(await failing.request(`PUT ${onZero} before`), ok);
    failing.write(`START\nPUT ${onZero} failing\nPUT ${onOne} failing\n`);
    assert.deepEqual(await failing.readLines(3), [ok, ok, ok]);
    later.write('START\n');
    assert.deepEqual(await later.readLines(1), [ok]);
    // The failing commit's part on shard 0 applies; its part on shard 1 dies with the shard. A
    // commit of shard 0 alone on the same key, sent meanwhile, must come after the undo: were
    // it sent at once, the undo would put back 'before' over it.
    failing.write('DEBUG CRASH-SHARD 1\nCOMMIT\n');
    later.write(`PUT ${onZero} later\nCOMMIT\n`);
    const [crash, commit] = (await failing.readLines(2)).map((line) => JSON.parse(line));
    assert.deepEqual(crash, { status: 'Error', mesg: messages.shardFailed(1) });
    assert.deepEqual(commit, { status: 'Error', mesg: messages.commitShardFailed(1) });
    assert.deepEqual(await later.readLines(2), [ok, ok]);
    assert.deepEqual(await later.call(`GET ${onZero}`), { status: 'Ok', result: 'later' });
    assert.deepEqual(await later.call('DEBUG LOCKS'), { status: 'Ok', result: '0' });
    failing.close();
    later.close();
  });

  // The writes run as a commit (src/coordinator/set-commit.ts), the MGET and EXISTS as one
  // per shard (split-read.ts): each fails whole when a shard dies under it.
  const setsAcrossShards: Array<[string, (resp: RespClient, keys: string[]) => Promise<unknown>]> =
    [
      ['an MGET', (resp, keys) => resp.call('MGET', ...keys)],
      ['an EXISTS', (resp, keys) => resp.call('EXISTS', ...keys)],
      ['a DEL', (resp, keys) => resp.call('DEL', ...keys)],
      ['an MSET', (resp, keys) => resp.call('MSET', ...keys.flatMap((key) => [key, 'during']))],
      [
        'a MULTI/EXEC of SETs',
        async (resp, keys) =>
          (
            await resp.pipeline([['MULTI'], ...keys.map((key) => ['SET', key, 'during']), ['EXEC']])
          ).at(-1),
      ],
    ];
  for (const [name, run] of setsAcrossShards) {
    test(`${name} across shards whose shard dies fails whole, nothing applied on the other shards`, async () => {
      const [onZero] = await keysOnShard(2, 0, 1, `sf-${name}-0`);
      const [onOne] = await keysOnShard(2, 1, 1, `sf-${name}-1`);
      const keys = [onZero, onOne] as string[];
      const resp = await RespClient.connect(server.port);
      const [first, second, crasher] = await Promise.all(
        [0, 1, 2].map(() => Client.connect(server.port)),
      );
      assert.deepEqual(await resp.call('SET', keys[0] as string, 'before'), OK);
      // Shard 1 answers: its thread (restarted by the tests above) is up, and has nothing in
      // flight, so each stall below goes in a batch of its own.
      assert.equal(await resp.call('GET', keys[1] as string), null);
      // Two stalls fill shard 1's batches in flight (shardBatchesInFlightMax), so the commit's
      // part there waits in the next batch, and the crash joins it after that part; the part
      // on shard 0 applies meanwhile, and must be undone when shard 1 dies under its own.
      first?.write('DEBUG STALL-SHARD 1 1000\n');
      await sleep(150);
      second?.write('DEBUG STALL-SHARD 1 1000\n');
      await sleep(150);
      const sets = run(resp, keys);
      await sleep(150);
      crasher?.write('DEBUG CRASH-SHARD 1\n');
      const reply = await sets;
      assert.ok(reply instanceof RespError, `${name} answered ${JSON.stringify(reply)}`);
      assert.match(reply.message, /^ERR shard 1 failed .*nothing of this command was applied/);
      assert.equal(await resp.call('GET', keys[0] as string), 'before');
      assert.equal(await resp.call('GET', keys[1] as string), null);
      for (const client of [first, second, crasher]) client?.close();
      resp.close();
    });
  }

  test('DEBUG CRASH-SHARD rejects a shard that does not exist', async () => {
    const client = await Client.connect(server.port);
    assert.deepEqual(await client.call('DEBUG CRASH-SHARD 7'), {
      status: 'Error',
      mesg: messages.noSuchShard(2),
    });
    client.close();
  });
});

test('a stop right after a shard failure, while its thread restarts, still exits 0', async () => {
  const server = await startServer(['--shards', '2', '--enable-debug-commands']);
  const client = await Client.connect(server.port);
  assert.deepEqual(await client.call('DEBUG CRASH-SHARD 1'), {
    status: 'Error',
    mesg: messages.shardFailed(1),
  });
  client.close();
  assert.equal(await server.stop(), 0);
  assert.equal(
    server.logs.some((line) => line.msg === 'shard could not be restarted'),
    false,
  );
});
