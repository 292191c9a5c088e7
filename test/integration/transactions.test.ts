/**
 * Transactions (SPEC.md section 4): read-your-writes, isolation, ROLLBACK, disconnects, atomic
 * commits across shards under concurrency, a random run against a Map model, and no lock left.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { errorReplyText } from '../../src/protocol/reply-format.js';
import { Client, sleep } from '../support/client.js';
import { pick, seededRandom } from '../support/random.js';
import { type RunningServer, startServer } from '../support/server-process.js';
import { keysOnShard, keysSharingAStripe } from '../support/shard-keys.js';

const ok = '{"status": "Ok"}';
const notFound = { status: 'Error', mesg: 'Key not found!' };
const errorLine = (mesg: string) => errorReplyText(mesg).trimEnd();

async function locksHeld(port: number): Promise<string> {
  const client = await Client.connect(port);
  const reply = await client.call('DEBUG LOCKS');
  client.close();
  return reply.result as string;
}

describe('transactions', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer(['--shards', '4', '--enable-debug-commands']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('a transaction reads its own writes; others see them only after COMMIT', async () => {
    const writer = await Client.connect(server.port);
    const reader = await Client.connect(server.port);
    await writer.request('PUT ryw-a old');
    await writer.request('PUT ryw-gone here');
    assert.equal(await writer.request('START'), ok);
    assert.equal(await writer.request('PUT ryw-a new'), ok);
    assert.equal(await writer.request('PUT ryw-b fresh'), ok);
    assert.equal(await writer.request('DEL ryw-gone'), ok);
    assert.deepEqual(await writer.call('GET ryw-a'), { status: 'Ok', result: 'new' });
    assert.deepEqual(await writer.call('GET ryw-b'), { status: 'Ok', result: 'fresh' });
    assert.deepEqual(await writer.call('GET ryw-gone'), notFound);

    assert.deepEqual(await reader.call('GET ryw-a'), { status: 'Ok', result: 'old' });
    assert.deepEqual(await reader.call('GET ryw-b'), notFound);
    assert.deepEqual(await reader.call('GET ryw-gone'), { status: 'Ok', result: 'here' });

    assert.equal(await writer.request('COMMIT'), ok);
    assert.deepEqual(await reader.call('GET ryw-a'), { status: 'Ok', result: 'new' });
    assert.deepEqual(await reader.call('GET ryw-b'), { status: 'Ok', result: 'fresh' });
    assert.deepEqual(await reader.call('GET ryw-gone'), notFound);
    writer.close();
    reader.close();
  });

  test('reads inside a transaction see the latest committed value of unwritten keys', async () => {
    const inTx = await Client.connect(server.port);
    const other = await Client.connect(server.port);
    await inTx.request('START');
    await other.request('PUT rc-key committed-later');
    assert.deepEqual(await inTx.call('GET rc-key'), { status: 'Ok', result: 'committed-later' });
    await inTx.request('ROLLBACK');
    inTx.close();
    other.close();
  });

  test('ROLLBACK discards every buffered write', async () => {
    const client = await Client.connect(server.port);
    await client.request('PUT rb-a before');
    assert.equal(await client.request('START'), ok);
    await client.request('PUT rb-a during');
    await client.request('PUT rb-new during');
    assert.equal(await client.request('ROLLBACK'), ok);
    assert.deepEqual(await client.call('GET rb-a'), { status: 'Ok', result: 'before' });
    assert.deepEqual(await client.call('GET rb-new'), notFound);
    assert.deepEqual(await client.call('COMMIT'), {
      status: 'Error',
      mesg: 'COMMIT without START: no transaction is open',
    });
    client.close();
  });

  test('a closed connection discards its open transaction', async () => {
    const client = await Client.connect(server.port);
    await client.request('START');
    await client.request('PUT dc-key never');
    client.close();
    await client.whenClosed;
    await sleep(50);
    const other = await Client.connect(server.port);
    assert.deepEqual(await other.call('GET dc-key'), notFound);
    other.close();
  });

  test('a client idling inside a transaction blocks no other client', async () => {
    const idle = await Client.connect(server.port);
    const busy = await Client.connect(server.port);
    await idle.request('START');
    await idle.request('PUT idle-key from-idle');
    // Same key, other client, single commands and a whole transaction: all answered.
    assert.equal(await busy.request('PUT idle-key from-busy'), ok);
    assert.equal(await busy.request('START'), ok);
    assert.equal(await busy.request('PUT idle-key from-busy-tx'), ok);
    assert.equal(await busy.request('COMMIT'), ok);
    assert.deepEqual(await busy.call('GET idle-key'), { status: 'Ok', result: 'from-busy-tx' });
    // The idle transaction commits last and wins (last committer wins).
    assert.equal(await idle.request('COMMIT'), ok);
    assert.deepEqual(await busy.call('GET idle-key'), { status: 'Ok', result: 'from-idle' });
    idle.close();
    busy.close();
  });

  test('an empty transaction commits', async () => {
    const client = await Client.connect(server.port);
    assert.equal(await client.request('START'), ok);
    assert.equal(await client.request('COMMIT'), ok);
    client.close();
  });

  test('no client ever observes a partially applied commit (4 shards, many writers)', async (t) => {
    const groups = 4;
    const keysPerGroup = 8;
    const durationMs = 3_000;
    const keyOf = (group: number, i: number) => `atom-${group}-${i}`;
    const setup = await Client.connect(server.port);
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < keysPerGroup; i++) await setup.request(`PUT ${keyOf(g, i)} 0`);
    }
    setup.close();

    const deadline = Date.now() + durationMs;
    const lastCommitted = new Array<number>(groups).fill(0);
    // One writer per group commits 1, 2, 3, ... to all of its keys, plus a hot key shared by
    // every writer so the commits contend for locks.
    const writers = Array.from({ length: groups }, async (_, group) => {
      const client = await Client.connect(server.port);
      for (let seq = 1; Date.now() < deadline; seq++) {
        let script = 'START\n';
        for (let i = 0; i < keysPerGroup; i++) script += `PUT ${keyOf(group, i)} ${seq}\n`;
        script += `PUT atom-hot ${group}:${seq}\nCOMMIT\n`;
        client.write(script);
        const replies = await client.readLines(keysPerGroup + 3);
        assert.ok(
          replies.every((reply) => reply === ok),
          `writer ${group}: ${replies}`,
        );
        lastCommitted[group] = seq;
      }
      client.close();
    });
    // Readers read a group's keys in a random order, one by one or pipelined, some inside a
    // transaction of their own, and check that the sequence never goes down: once a commit is
    // seen, all of it is there.
    let sequencesRead = 0;
    let newerSeen = 0;
    const readers = Array.from({ length: 4 }, async (_, reader) => {
      const random = seededRandom(1000 + reader);
      const client = await Client.connect(server.port);
      while (Date.now() < deadline) {
        const group = Math.floor(random() * groups);
        const order = Array.from({ length: keysPerGroup }, (_, i) => i).sort(() => random() - 0.5);
        const values: number[] = [];
        const inTransaction = reader >= 2;
        if (inTransaction) assert.equal(await client.request('START'), ok);
        if (reader % 2 === 0) {
          for (const i of order)
            values.push(Number((await client.call(`GET ${keyOf(group, i)}`)).result));
        } else {
          client.write(order.map((i) => `GET ${keyOf(group, i)}\n`).join(''));
          for (const line of await client.readLines(keysPerGroup)) {
            values.push(Number(JSON.parse(line).result));
          }
        }
        if (inTransaction) assert.equal(await client.request('ROLLBACK'), ok);
        for (let i = 1; i < values.length; i++) {
          assert.ok(
            (values[i] as number) >= (values[i - 1] as number),
            `group ${group} read ${values} in key order ${order}: a commit was seen in part`,
          );
        }
        if (values[0] !== values[values.length - 1]) newerSeen++;
        sequencesRead++;
      }
      client.close();
    });
    await Promise.all([...writers, ...readers]);

    assert.ok(sequencesRead >= 200, `only ${sequencesRead} sequences were read`);
    assert.ok(
      lastCommitted.every((seq) => seq >= 20),
      `commits: ${lastCommitted}`,
    );
    const check = await Client.connect(server.port);
    for (let g = 0; g < groups; g++) {
      for (let i = 0; i < keysPerGroup; i++) {
        assert.deepEqual(await check.call(`GET ${keyOf(g, i)}`), {
          status: 'Ok',
          result: String(lastCommitted[g]),
        });
      }
    }
    check.close();
    assert.equal(await locksHeld(server.port), '0');
    // Informational: how often a read sequence straddled a commit.
    t.diagnostic(`sequences ${sequencesRead}, straddling a commit ${newerSeen}`);
  });

  test('random commands on three clients give the same replies as a Map model', async () => {
    const random = seededRandom(20261126);
    const clients = await Promise.all([0, 1, 2].map(() => Client.connect(server.port)));
    const committed = new Map<string, string>();
    const open: Array<Map<string, string | null> | null> = [null, null, null];
    const keys = ['m-a', 'm-b', 'm-c', 'm-d', 'm-说', 'm-f'];
    for (let step = 0; step < 2_000; step++) {
      const c = Math.floor(random() * clients.length);
      const tx = open[c] ?? null;
      const key = pick(random, keys);
      const roll = random();
      let command: string;
      let expected: string;
      if (roll < 0.3) {
        const value = `v${step} ${pick(random, ['x', 'y y', '"q"', 'é'])}`;
        command = `PUT ${key} ${value}`;
        if (tx === null) committed.set(key, value);
        else tx.set(key, value);
        expected = ok;
      } else if (roll < 0.6) {
        command = `GET ${key}`;
        const value = tx?.has(key) ? tx.get(key) : committed.get(key);
        expected =
          value === undefined || value === null
            ? '{"status": "Error", "mesg": "Key not found!"}'
            : `{"status": "Ok", "result": ${JSON.stringify(value)}}`;
      } else if (roll < 0.72) {
        command = `DEL ${key}`;
        if (tx === null) committed.delete(key);
        else tx.set(key, null);
        expected = ok;
      } else if (roll < 0.84) {
        command = 'START';
        expected = tx === null ? ok : errorLine(messages.transactionAlreadyOpen);
        if (tx === null) open[c] = new Map();
      } else if (roll < 0.94) {
        command = 'COMMIT';
        expected = tx === null ? errorLine(messages.noTransaction('COMMIT')) : ok;
        for (const [k, v] of tx ?? []) {
          if (v === null) committed.delete(k);
          else committed.set(k, v);
        }
        open[c] = null;
      } else {
        command = 'ROLLBACK';
        expected = tx === null ? errorLine(messages.noTransaction('ROLLBACK')) : ok;
        open[c] = null;
      }
      const reply = await (clients[c] as Client).request(command);
      assert.equal(reply, expected, `step ${step}, client ${c}: ${command}`);
    }
    for (const client of clients) client.close();
    await sleep(50);
    assert.equal(await locksHeld(server.port), '0');
  });

  test('no lock is left after commits, rollbacks and disconnects mid-transaction', async () => {
    const clients = await Promise.all(
      Array.from({ length: 10 }, () => Client.connect(server.port)),
    );
    await Promise.all(
      clients.map(async (client, i) => {
        for (let round = 0; round < 20; round++) {
          client.write(`START\nPUT lk-${round % 3} ${i}\nPUT lk-${i} ${round}\n`);
          await client.readLines(3);
          const end = round % 3 === 0 ? 'ROLLBACK' : 'COMMIT';
          assert.equal(await client.request(end), ok);
        }
        // Leave with a transaction open, or right after sending COMMIT.
        client.write(i % 2 === 0 ? 'START\nPUT lk-0 x\n' : 'START\nPUT lk-1 y\nCOMMIT\n');
        client.close();
      }),
    );
    await sleep(200);
    assert.equal(await locksHeld(server.port), '0');
  });

  test('commits on different keys that share a lock stripe do not wait for each other', async () => {
    const { keys, shard } = await keysSharingAStripe(4, 'stripe');
    // Each commit also writes a key of another shard: a commit of one shard takes no lock.
    const others = await keysOnShard(4, (shard + 1) % 4, 2, 'stripe-other');
    // While the shard is stalled, a commit holds its keys' locks until the shard answers.
    const staller = await Client.connect(server.port);
    staller.write(`DEBUG STALL-SHARD ${shard} 1500\n`);
    const writers = await Promise.all(keys.map(() => Client.connect(server.port)));
    for (const [i, writer] of writers.entries()) {
      writer.write(`START\nPUT ${keys[i]} v${i}\nPUT ${others[i]} w${i}\nCOMMIT\n`);
    }
    let mostHeld = 0;
    for (let waited = 0; waited < 1200 && mostHeld < 4; waited += 50) {
      mostHeld = Math.max(mostHeld, Number(await locksHeld(server.port)));
      await sleep(50);
    }
    assert.equal(mostHeld, 4, "the second commit waited for the first one's lock");
    for (const writer of writers) assert.deepEqual(await writer.readLines(4), [ok, ok, ok, ok]);
    assert.deepEqual(await staller.readLines(1), [ok]);
    for (const [i, key] of keys.entries()) {
      assert.deepEqual(await staller.call(`GET ${key}`), { status: 'Ok', result: `v${i}` });
      assert.deepEqual(await staller.call(`GET ${others[i]}`), { status: 'Ok', result: `w${i}` });
    }
    for (const client of [staller, ...writers]) client.close();
  });

  test('a commit of one shard takes no lock, but comes after a commit holding one of its keys', async () => {
    const [held, free] = await keysOnShard(4, 2, 2, 'one-shard');
    const [elsewhere] = await keysOnShard(4, 3, 1, 'one-shard-other');
    const staller = await Client.connect(server.port);
    staller.write('DEBUG STALL-SHARD 2 1000\n');
    // A commit of two shards holds `held` until shard 2 answers.
    const first = await Client.connect(server.port);
    first.write(`START\nPUT ${held} first\nPUT ${elsewhere} first\nCOMMIT\n`);
    // A commit of shard 2 alone, on a free key: no lock while the shard is stalled.
    const alone = await Client.connect(server.port);
    alone.write(`START\nPUT ${free} alone\nCOMMIT\n`);
    await sleep(200);
    assert.equal(await locksHeld(server.port), '2');
    // A commit of shard 2 alone on the held key waits for the first commit.
    const second = await Client.connect(server.port);
    second.write(`START\nPUT ${held} second\nPUT ${free} second\nCOMMIT\n`);
    assert.deepEqual(await first.readLines(4), [ok, ok, ok, ok]);
    assert.deepEqual(await alone.readLines(3), [ok, ok, ok]);
    assert.deepEqual(await second.readLines(4), [ok, ok, ok, ok]);
    assert.deepEqual(await staller.readLines(1), [ok]);
    assert.deepEqual(await staller.call(`GET ${held}`), { status: 'Ok', result: 'second' });
    assert.deepEqual(await staller.call(`GET ${free}`), { status: 'Ok', result: 'second' });
    assert.deepEqual(await staller.call(`GET ${elsewhere}`), { status: 'Ok', result: 'first' });
    assert.equal(await locksHeld(server.port), '0');
    for (const client of [staller, first, alone, second]) client.close();
  });
});
