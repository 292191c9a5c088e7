/**
 * --max-memory, checked against the server's resident memory: over it PUT and COMMIT with
 * writes get an Error naming the limit and the flag, nothing of a refused COMMIT is applied,
 * GET, DEL and ROLLBACK keep working, and the process stays near its limit. Also the
 * transaction size limits (--max-tx-writes, --max-tx-bytes).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { messages } from '../../src/protocol/messages.js';
import { Client, sleep } from '../support/client.js';
import { rssBytes } from '../support/proc.js';
import { startServer } from '../support/server-process.js';

const kib = 1024;
/** These tests are about refusal: the policy that refuses (the default evicts). */
const noEviction = ['--eviction-policy', 'noeviction'];
const mib = 1024 * kib;

test('over --max-memory writes are refused, reads and deletes still work', {
  timeout: 60_000,
}, async (t: TestContext) => {
  // 256 MiB: an idle server is ~90 MiB of RSS on Node 24 with 2 shards (Node 20: ~72), so at
  // 192 MiB fewer than the 512 values of 64 KiB this test wants sometimes fit.
  const limit = 256 * mib;
  const server = await startServer([...noEviction, '--max-memory', '256mb', '--shards', '2']);
  t.after(() => server.stop());
  const pid = server.child.pid as number;
  const client = await Client.connect(server.port);
  const value = 'm'.repeat(64 * kib);

  // A transaction opened before the server fills up, to commit once it is full.
  const txClient = await Client.connect(server.port);
  assert.deepEqual(await txClient.call('START'), { status: 'Ok' });
  // Large enough (3 x 4 MiB) that the garbage a full server collects (memory-guard.ts) cannot
  // make room for it.
  const txValue = 'x'.repeat(4 * mib);
  for (const key of ['tx-a', 'tx-b', 'tx-c']) {
    assert.deepEqual(await txClient.call(`PUT ${key} ${txValue}`), { status: 'Ok' });
  }

  // Pipelined in bursts of 50, as a loader would, until two single PUTs, each made after the
  // memory guard's next RSS sample, are refused in a row: the server is full, not just
  // refusing a burst. One is not enough: a refusal has every thread collect garbage
  // (memory-guard.ts), which can free room for another value or two (a fresh-clone CI run saw
  // the PUT after the first such refusal go through).
  let stored = 0;
  let refusal: { status: string; mesg?: string } | null = null;
  const putAfterSample = async () => {
    await sleep(120);
    const reply = await client.call(`PUT k${stored} ${value}`);
    if (reply.status === 'Ok') stored++;
    return reply;
  };
  while (refusal === null) {
    let burst = '';
    for (let i = 0; i < 50; i++) burst += `PUT k${stored + i} ${value}\n`;
    client.write(burst);
    let burstRefused = false;
    for (const line of await client.readLines(50)) {
      if (JSON.parse(line).status === 'Ok' && !burstRefused) stored++;
      else burstRefused = true;
    }
    if (burstRefused) {
      const first = await putAfterSample();
      if (first.status !== 'Ok') {
        const second = await putAfterSample();
        if (second.status !== 'Ok') {
          assert.deepEqual(second, first);
          refusal = second;
        }
      }
    }
    assert.ok(stored < 100_000, 'the limit never tripped');
  }
  t.diagnostic(`stored ${stored} values of 64 KiB; RSS ${(rssBytes(pid) / mib) | 0} MiB`);
  assert.deepEqual(refusal, { status: 'Error', mesg: messages.memoryFull(limit) });
  assert.match(refusal.mesg as string, /--max-memory/);
  assert.ok(stored * value.length > 32 * mib, `only ${stored} values fit`);
  assert.ok(rssBytes(pid) < limit + 32 * mib, `RSS ${rssBytes(pid) / mib} MiB`);

  // Full: COMMIT with writes refused (PUT was, twice above); it applies nothing and closes
  // the transaction.
  assert.deepEqual(await txClient.call('COMMIT'), {
    status: 'Error',
    mesg: messages.commitMemoryFull(limit),
  });
  for (const key of ['tx-a', 'tx-b', 'tx-c']) {
    assert.deepEqual(await client.call(`GET ${key}`), { status: 'Error', mesg: 'Key not found!' });
  }
  assert.equal((await txClient.call('ROLLBACK')).status, 'Error');
  // GET, DEL, ROLLBACK and an empty COMMIT still work.
  assert.deepEqual(await client.call('GET k0'), { status: 'Ok', result: value });
  assert.deepEqual(await client.call('DEL k0'), { status: 'Ok' });
  assert.deepEqual(await client.call('GET k0'), { status: 'Error', mesg: 'Key not found!' });
  assert.deepEqual(await txClient.call('START'), { status: 'Ok' });
  assert.deepEqual(await txClient.call('DEL k1'), { status: 'Ok' });
  assert.deepEqual(await txClient.call('ROLLBACK'), { status: 'Ok' });
  assert.deepEqual(await txClient.call('GET k1'), { status: 'Ok', result: value });
  assert.deepEqual(await client.call('PING'), { status: 'Ok', result: 'PONG' });
  assert.ok(!server.logs.some((log) => log.msg.startsWith('shard failed')));
  client.close();
  txClient.close();
});

test('each shard heap limit is above --max-memory, so the guard trips first', async (t) => {
  // One shard holds everything: its V8 heap must not die before the RSS limit refuses writes.
  // 128 MiB: an idle server is already ~65 MiB of RSS (Node 24, one shard), so 64 MiB left no
  // room for the first write.
  const server = await startServer([...noEviction, '--max-memory', '128mb', '--shards', '1']);
  t.after(() => server.stop());
  const client = await Client.connect(server.port);
  const value = 'h'.repeat(256 * kib);
  let refused = false;
  for (let i = 0; i < 2_000 && !refused; i++) {
    const reply = await client.call(`PUT k${i} ${value}`);
    refused = reply.status === 'Error';
    if (refused) assert.equal(reply.mesg, messages.memoryFull(128 * mib));
  }
  assert.ok(refused);
  assert.deepEqual(await client.call('GET k0'), { status: 'Ok', result: value });
  assert.ok(!server.logs.some((log) => log.msg.startsWith('shard failed')));
  client.close();
});

test('a write past a transaction limit gets an error; the transaction stays open and its COMMIT fails whole', async (t) => {
  const server = await startServer(['--max-tx-writes', '3', '--max-tx-bytes', '4kb']);
  t.after(() => server.stop());
  const client = await Client.connect(server.port);
  assert.deepEqual(await client.call('START'), { status: 'Ok' });
  for (const key of ['a', 'b', 'c']) {
    assert.deepEqual(await client.call(`PUT ${key} 1`), { status: 'Ok' });
  }
  assert.deepEqual(await client.call('PUT d 1'), {
    status: 'Error',
    mesg: messages.txWritesLimit(3),
  });
  // Rewriting a key already buffered adds no write.
  assert.deepEqual(await client.call('DEL a'), { status: 'Ok' });
  assert.deepEqual(await client.call(`PUT b ${'x'.repeat(4 * kib)}`), {
    status: 'Error',
    mesg: messages.txBytesLimit(4 * kib),
  });
  assert.deepEqual(await client.call('GET b'), { status: 'Ok', result: '1' });
  // A refused write dooms the transaction (SPEC.md section 4): nothing of it is applied.
  assert.deepEqual(await client.call('COMMIT'), {
    status: 'Error',
    mesg: messages.commitDoomed(messages.txWritesLimit(3)),
  });
  for (const key of ['a', 'b', 'c', 'd']) {
    assert.deepEqual(await client.call(`GET ${key}`), { status: 'Error', mesg: 'Key not found!' });
  }
  // The transaction is closed: a new one starts clean.
  assert.deepEqual(await client.call('START'), { status: 'Ok' });
  assert.deepEqual(await client.call('PUT a 2'), { status: 'Ok' });
  assert.deepEqual(await client.call('COMMIT'), { status: 'Ok' });
  assert.deepEqual(await client.call('GET a'), { status: 'Ok', result: '2' });
  client.close();
});

test('once DELs free memory on a full server, writes are accepted again within seconds', {
  timeout: 60_000,
}, async (t: TestContext) => {
  // 256 MiB: on Node 24 a server that has held 10 MiB values stays at ~160-180 MiB of RSS after
  // deleting them all (Node 20: ~145), so at 160 MiB it never took a write again.
  const server = await startServer([...noEviction, '--max-memory', '256mb', '--shards', '2']);
  t.after(() => server.stop());
  const client = await Client.connect(server.port);
  const value = 'r'.repeat(10 * mib);
  let stored = 0;
  for (let full = false; !full; ) {
    const reply = await client.call(`PUT r${stored} ${value}`);
    if (reply.status === 'Ok') stored++;
    else full = true;
    assert.ok(stored < 10_000, 'the limit never tripped');
  }
  // A commit of only DELs frees memory, so a full server takes it, like a plain DEL.
  assert.ok(stored >= 2, `only ${stored} values fit`);
  client.write('START\nDEL r0\nDEL r1\nCOMMIT\n');
  assert.deepEqual(await client.readLines(4), Array(4).fill('{"status": "Ok"}'));
  let deletes = '';
  for (let i = 2; i < stored; i++) deletes += `DEL r${i}\n`;
  client.write(deletes);
  await client.readLines(stored - 2);
  // Without being asked, idle shards kept the freed memory for ~12 s (memory-guard.ts).
  const deadline = Date.now() + 5_000;
  let accepted = false;
  while (!accepted && Date.now() < deadline) {
    accepted = (await client.call(`PUT after ${value}`)).status === 'Ok';
    if (!accepted) await sleep(200);
  }
  assert.ok(accepted, 'writes were still refused 5 s after every value was deleted');
  t.diagnostic(`stored ${stored} values of 10 MiB before the limit`);
  client.close();
});

test('writes buffered in open transactions count against --max-memory', {
  timeout: 60_000,
}, async (t: TestContext) => {
  const limit = 160 * mib;
  const server = await startServer([...noEviction, '--max-memory', '160mb', '--shards', '1']);
  t.after(() => server.stop());
  const pid = server.child.pid as number;
  const value = 't'.repeat(mib);
  const clients = await Promise.all(Array.from({ length: 8 }, () => Client.connect(server.port)));
  let refusals = 0;
  for (const client of clients) {
    assert.deepEqual(await client.call('START'), { status: 'Ok' });
    for (let i = 0; i < 60; i++) {
      const reply = await client.call(`PUT t${i} ${value}`);
      if (reply.status !== 'Ok') {
        assert.deepEqual(reply, { status: 'Error', mesg: messages.memoryFull(limit) });
        refusals++;
      }
    }
  }
  // 480 MiB were offered to open transactions: most must have been refused.
  assert.ok(refusals > 8 * 60 - 200, `only ${refusals} of 480 buffered writes refused`);
  assert.ok(rssBytes(pid) < limit + 64 * mib, `RSS ${(rssBytes(pid) / mib) | 0} MiB`);
  // The transactions stay open with what they had, and ROLLBACK frees it.
  for (const client of clients) {
    assert.deepEqual(await client.call('ROLLBACK'), { status: 'Ok' });
    client.close();
  }
});
