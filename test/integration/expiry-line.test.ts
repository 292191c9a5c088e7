/**
 * Expiry over the line protocol (SPEC.md section 8): EXPIRE, PEXPIRE, PERSIST, TTL, PTTL, keys
 * that expire by themselves, expiry inside transactions, and one keyspace with RESP's expiry.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { messages } from '../../src/protocol/messages.js';
import { Client } from '../support/client.js';
import { OK, RespClient } from '../support/resp-client.js';
import { type RunningServer, startServer } from '../support/server-process.js';

const ok = { status: 'Ok' };
const notFound = { status: 'Error', mesg: messages.keyNotFound };
let server: RunningServer;
let client: Client;

before(async () => {
  server = await startServer(['--shards', '2']);
  client = await Client.connect(server.port);
});
after(async () => {
  client.close();
  assert.equal(await server.stop(), 0);
});

test('EXPIRE, TTL, PTTL and PERSIST answer as SPEC.md section 8 says', async () => {
  assert.deepEqual(await client.call('PUT e1 v'), ok);
  assert.deepEqual(await client.call('TTL e1'), { status: 'Ok', result: -1 });
  assert.deepEqual(await client.call('EXPIRE e1 100'), ok);
  assert.deepEqual(await client.call('TTL e1'), { status: 'Ok', result: 100 });
  const pttl = (await client.call('PTTL e1')) as unknown as { result: number };
  assert.ok(pttl.result > 99_000 && pttl.result <= 100_000, `PTTL ${pttl.result}`);
  assert.deepEqual(await client.call('PERSIST e1'), ok);
  assert.deepEqual(await client.call('TTL e1'), { status: 'Ok', result: -1 });
  // PERSIST of a key without expiry is Ok too; of a missing key, the missing-key error.
  assert.deepEqual(await client.call('PERSIST e1'), ok);
  for (const command of ['PERSIST', 'TTL', 'PTTL']) {
    assert.deepEqual(await client.call(`${command} missing`), notFound);
  }
  assert.deepEqual(await client.call('EXPIRE missing 10'), notFound);
  // A PUT clears the expiry, as SET does.
  assert.deepEqual(await client.call('EXPIRE e1 100'), ok);
  assert.deepEqual(await client.call('PUT e1 w'), ok);
  assert.deepEqual(await client.call('TTL e1'), { status: 'Ok', result: -1 });
});

test('bad EXPIRE arguments get an Error and change nothing', async () => {
  assert.deepEqual(await client.call('PUT e2 v'), ok);
  for (const line of ['EXPIRE e2', 'EXPIRE e2 ten', 'EXPIRE e2 1.5', 'EXPIRE e2 1 2']) {
    assert.deepEqual(await client.call(line), {
      status: 'Error',
      mesg: messages.expireUsage('EXPIRE'),
    });
  }
  assert.deepEqual(await client.call('PEXPIRE e2 x'), {
    status: 'Error',
    mesg: messages.expireUsage('PEXPIRE'),
  });
  assert.deepEqual(await client.call('TTL e2 extra'), {
    status: 'Error',
    mesg: messages.takesOneKey('TTL'),
  });
  assert.deepEqual(await client.call('TTL e2'), { status: 'Ok', result: -1 });
});

test('an expired key is gone for every command; a past time removes it at once', async () => {
  assert.deepEqual(await client.call('PUT e3 v'), ok);
  assert.deepEqual(await client.call('PEXPIRE e3 150'), ok);
  assert.deepEqual(await client.call('GET e3'), { status: 'Ok', result: 'v' });
  await sleep(300);
  assert.deepEqual(await client.call('GET e3'), notFound);
  assert.deepEqual(await client.call('TTL e3'), notFound);
  assert.deepEqual(await client.call('PUT e4 v'), ok);
  assert.deepEqual(await client.call('EXPIRE e4 -1'), ok);
  assert.deepEqual(await client.call('GET e4'), notFound);
});

test('one keyspace: an expiry set over RESP reads over the line protocol and back', async () => {
  const resp = await RespClient.connect(server.port);
  assert.deepEqual(await resp.call('SET', 'e5', 'v', 'EX', '50'), OK);
  assert.deepEqual(await client.call('TTL e5'), { status: 'Ok', result: 50 });
  assert.deepEqual(await client.call('EXPIRE e5 70'), ok);
  assert.equal(await resp.call('TTL', 'e5'), 70);
  resp.close();
});

test('inside a transaction expiry changes are buffered and applied by COMMIT with the writes', async () => {
  const other = await Client.connect(server.port);
  assert.deepEqual(await client.call('PUT e6 old'), ok);
  assert.deepEqual(await client.call('START'), ok);
  assert.deepEqual(await client.call('PUT e7 new'), ok);
  assert.deepEqual(await client.call('EXPIRE e7 40'), ok);
  assert.deepEqual(await client.call('EXPIRE e6 60'), ok);
  // The transaction reads its own expiry; nobody else sees it before COMMIT.
  assert.deepEqual(await client.call('TTL e7'), { status: 'Ok', result: 40 });
  assert.deepEqual(await client.call('TTL e6'), { status: 'Ok', result: 60 });
  assert.deepEqual(await other.call('TTL e6'), { status: 'Ok', result: -1 });
  assert.deepEqual(await other.call('TTL e7'), notFound);
  assert.deepEqual(await client.call('COMMIT'), ok);
  assert.deepEqual(await other.call('TTL e7'), { status: 'Ok', result: 40 });
  assert.deepEqual(await other.call('TTL e6'), { status: 'Ok', result: 60 });
  assert.deepEqual(await other.call('GET e6'), { status: 'Ok', result: 'old' });
  // ROLLBACK discards an expiry change like any write.
  assert.deepEqual(await client.call('START'), ok);
  assert.deepEqual(await client.call('PERSIST e6'), ok);
  assert.deepEqual(await client.call('ROLLBACK'), ok);
  assert.deepEqual(await other.call('TTL e6'), { status: 'Ok', result: 60 });
  other.close();
});

test("a key expiring between a transaction's GET and its COMMIT: read committed goes on, serializable fails", async () => {
  assert.deepEqual(await client.call('PUT e8 v'), ok);
  assert.deepEqual(await client.call('PEXPIRE e8 200'), ok);
  assert.deepEqual(await client.call('START'), ok);
  assert.deepEqual(await client.call('GET e8'), { status: 'Ok', result: 'v' });
  await sleep(350);
  assert.deepEqual(await client.call('PUT other-e8 x'), ok);
  assert.deepEqual(await client.call('COMMIT'), ok);
  assert.deepEqual(await client.call('GET e8'), notFound);

  assert.deepEqual(await client.call('PUT e9 v'), ok);
  assert.deepEqual(await client.call('PEXPIRE e9 200'), ok);
  assert.deepEqual(await client.call('START SERIALIZABLE'), ok);
  assert.deepEqual(await client.call('GET e9'), { status: 'Ok', result: 'v' });
  await sleep(350);
  assert.deepEqual(await client.call('PUT e9-copy v'), ok);
  const reply = (await client.call('COMMIT')) as { status: string; mesg: string };
  assert.equal(reply.status, 'Error');
  assert.equal(reply.mesg, messages.commitConflict('e9'));
  assert.deepEqual(await client.call('GET e9-copy'), notFound, 'nothing was applied');
});

test('INFO over the line protocol is the result string, in Redis format', async () => {
  const reply = (await client.call('INFO')) as { status: string; result: string };
  assert.equal(reply.status, 'Ok');
  assert.match(reply.result, /^# Server\r\nredis_version:/);
  assert.match(reply.result, /\r\nloading:0\r\n/);
  const keyspace = (await client.call('INFO keyspace')) as { result: string };
  assert.match(keyspace.result, /^# Keyspace\r\ndb0:keys=\d+,expires=\d+/);
});
