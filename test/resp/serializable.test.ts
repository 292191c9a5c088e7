/**
 * Haus only: `START SERIALIZABLE` on the line protocol (SPEC.md section 7, last paragraph) and
 * the doomed-transaction rule of section 4 on both protocols. A serializable transaction
 * watches each key from its first GET, PUT or DEL; its COMMIT fails, naming the key, when
 * anything else wrote that key since (a line-protocol PUT, another commit, a RESP SET, expiry),
 * and applies nothing. A transaction in which a write was refused can only fail as a whole.
 * Redis has neither, so this file has no Redis run; the server allows 3 writes per transaction
 * so that a fourth is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, sleep } from '../support/client.js';
import { error, OK, QUEUED, RespClient, RespError } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

const ok = '{"status": "Ok"}';
const noTransaction = { status: 'Error', mesg: 'COMMIT without START: no transaction is open' };
const notFound = { status: 'Error', mesg: 'Key not found!' };
const txWritesMax = 3;

/** Asserts a failed COMMIT: an Error naming the key that conflicted, and the transaction over. */
async function assertConflict(client: Client, commitReply: string, key: string): Promise<void> {
  const reply = JSON.parse(commitReply) as { status: string; mesg?: string };
  assert.equal(reply.status, 'Error', commitReply);
  assert.ok(reply.mesg?.includes(key), `the error names the key ${key}: ${commitReply}`);
  assert.deepEqual(await client.call('COMMIT'), noTransaction, 'a failed COMMIT ends it');
}

/** SPEC.md section 4: the COMMIT of a doomed transaction says a write in it was refused and
 * that nothing of it was applied. */
function assertDoomedCommit(reply: { status: string; mesg?: string } | undefined): void {
  assert.equal(reply?.status, 'Error', JSON.stringify(reply));
  assert.match(reply?.mesg ?? '', /refused/, 'says a write was refused');
  assert.match(
    reply?.mesg ?? '',
    /discarded because a write in it was refused/,
    'says the transaction was discarded',
  );
}

/** START SERIALIZABLE, GET n, PUT n+1, COMMIT; retried until the COMMIT is Ok. */
async function serializableIncrement(client: Client, key: string): Promise<number> {
  for (let tries = 1; ; tries += 1) {
    assert.equal(await client.request('START SERIALIZABLE'), ok);
    const read = await client.call(`GET ${key}`);
    assert.equal(read.status, 'Ok', JSON.stringify(read));
    assert.equal(await client.request(`PUT ${key} ${Number(read.result) + 1}`), ok);
    const commit = await client.call('COMMIT');
    if (commit.status === 'Ok') return tries;
    assert.match(commit.mesg ?? '', new RegExp(key), 'a failed COMMIT names the key');
    assert.ok(tries < 10_000, 'a serializable retry loop never got through');
  }
}

describe('serializable and doomed transactions (haus)', {
  skip: !targetKinds().includes('haus') && 'HAUS_TEST_TARGETS leaves Haus out',
}, () => {
  let target: Target;
  let a: Client;
  let b: Client;
  before(async () => {
    target = await startTarget('haus', { args: ['--max-tx-writes', String(txWritesMax)] });
    a = await Client.connect(target.port);
    b = await Client.connect(target.port);
  });
  after(async () => {
    a?.close();
    b?.close();
    await target?.stop();
  });

  test('a key read, then written by another client, fails the COMMIT; nothing applies', async () => {
    await a.request('PUT ser:read:x 1');
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.deepEqual(await a.call('GET ser:read:x'), { status: 'Ok', result: '1' });
    assert.equal(await b.request('PUT ser:read:x 2'), ok);
    assert.equal(await a.request('PUT ser:read:x 10'), ok);
    assert.equal(await a.request('PUT ser:read:other mine'), ok);
    await assertConflict(a, await a.request('COMMIT'), 'ser:read:x');
    assert.deepEqual(await b.call('GET ser:read:x'), { status: 'Ok', result: '2' });
    assert.deepEqual(await b.call('GET ser:read:other'), notFound);
  });

  test('GETs inside it see the latest committed value, as in read committed', async () => {
    await a.request('PUT ser:latest:x 1');
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.equal(await b.request('PUT ser:latest:x 2'), ok);
    assert.deepEqual(await a.call('GET ser:latest:x'), { status: 'Ok', result: '2' });
    assert.equal(await a.request('PUT ser:latest:x 3'), ok);
    assert.equal(await a.request('COMMIT'), ok, 'the write came before the first GET: no conflict');
    assert.deepEqual(await b.call('GET ser:latest:x'), { status: 'Ok', result: '3' });
  });

  test('a blind PUT or DEL watches its key too', async () => {
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.equal(await a.request('PUT ser:blind:x mine'), ok);
    assert.equal(await b.request('PUT ser:blind:x theirs'), ok);
    await assertConflict(a, await a.request('COMMIT'), 'ser:blind:x');
    assert.deepEqual(await b.call('GET ser:blind:x'), { status: 'Ok', result: 'theirs' });

    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.equal(await a.request('DEL ser:blind:x'), ok);
    assert.equal(await b.request('DEL ser:blind:x'), ok);
    await assertConflict(a, await a.request('COMMIT'), 'ser:blind:x');
  });

  test("another client's commit of a watched key fails the COMMIT", async () => {
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.deepEqual(await a.call('GET ser:commit:x'), notFound);
    assert.equal(await b.request('START'), ok);
    assert.equal(await b.request('PUT ser:commit:x from-b'), ok);
    assert.equal(await b.request('COMMIT'), ok);
    assert.equal(await a.request('PUT ser:commit:x from-a'), ok);
    await assertConflict(a, await a.request('COMMIT'), 'ser:commit:x');
    assert.deepEqual(await b.call('GET ser:commit:x'), { status: 'Ok', result: 'from-b' });
  });

  test('a RESP SET of a watched key fails the COMMIT', async () => {
    const resp = await RespClient.connect(target.port);
    try {
      await a.request('PUT ser:resp:x 1');
      assert.equal(await a.request('START SERIALIZABLE'), ok);
      assert.deepEqual(await a.call('GET ser:resp:x'), { status: 'Ok', result: '1' });
      assert.deepEqual(await resp.call('SET', 'ser:resp:x', 'over resp'), OK);
      assert.equal(await a.request('PUT ser:resp:x 2'), ok);
      await assertConflict(a, await a.request('COMMIT'), 'ser:resp:x');
      assert.equal(await resp.call('GET', 'ser:resp:x'), 'over resp');
    } finally {
      resp.close();
    }
  });

  test('a watched key that expires fails the COMMIT', async () => {
    const resp = await RespClient.connect(target.port);
    try {
      assert.deepEqual(await resp.call('SET', 'ser:expiry:x', '1', 'PX', '100'), OK);
      assert.equal(await a.request('START SERIALIZABLE'), ok);
      assert.deepEqual(await a.call('GET ser:expiry:x'), { status: 'Ok', result: '1' });
      await sleep(250);
      assert.equal(await a.request('PUT ser:expiry:y 2'), ok);
      await assertConflict(a, await a.request('COMMIT'), 'ser:expiry:x');
      assert.deepEqual(await b.call('GET ser:expiry:y'), notFound);
    } finally {
      resp.close();
    }
  });

  test('without conflicts a serializable transaction commits all its writes', async () => {
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    assert.deepEqual(await a.call('GET ser:clean:x'), notFound);
    assert.equal(await a.request('PUT ser:clean:x 1'), ok);
    assert.equal(await a.request('DEL ser:clean:y'), ok);
    assert.equal(await b.request('PUT ser:clean:unrelated 1'), ok);
    assert.equal(await a.request('COMMIT'), ok);
    assert.deepEqual(await b.call('GET ser:clean:x'), { status: 'Ok', result: '1' });
  });

  test('plain START stays read committed: the last committer wins', async () => {
    await a.request('PUT ser:rc:x 1');
    assert.equal(await a.request('START'), ok);
    assert.deepEqual(await a.call('GET ser:rc:x'), { status: 'Ok', result: '1' });
    assert.equal(await b.request('PUT ser:rc:x 2'), ok);
    assert.equal(await a.request('PUT ser:rc:x 10'), ok);
    assert.equal(await a.request('COMMIT'), ok);
    assert.deepEqual(await b.call('GET ser:rc:x'), { status: 'Ok', result: '10' });
  });

  test('6 clients incrementing with START SERIALIZABLE and retries lose no update', async () => {
    const key = 'ser:race:n';
    await a.request(`PUT ${key} 0`);
    const clients = await Promise.all(Array.from({ length: 6 }, () => Client.connect(target.port)));
    try {
      const tries = await Promise.all(
        clients.map(async (client) => {
          let total = 0;
          for (let i = 0; i < 25; i += 1) total += await serializableIncrement(client, key);
          return total;
        }),
      );
      assert.deepEqual(await a.call(`GET ${key}`), { status: 'Ok', result: '150' });
      const retries = tries.reduce((sum, n) => sum + n, 0) - 150;
      if (retries === 0) console.log('the serializable race saw no conflict this time');
    } finally {
      for (const client of clients) client.close();
    }
  });

  test('a pipelined transaction with a refused write fails whole at COMMIT', async () => {
    const puts = Array.from({ length: 5 }, (_, i) => `PUT ser:doomed:${i} v${i}`);
    a.write(['START', ...puts, 'COMMIT', ''].join('\n'));
    const replies = (await a.readLines(7)).map(
      (line) => JSON.parse(line) as { status: string; mesg?: string },
    );
    assert.deepEqual(
      replies.slice(0, 1 + txWritesMax),
      Array(1 + txWritesMax).fill({ status: 'Ok' }),
    );
    for (const refused of replies.slice(1 + txWritesMax, 6)) {
      assert.equal(refused.status, 'Error');
      assert.match(refused.mesg ?? '', /--max-tx-writes/);
    }
    assertDoomedCommit(replies[6]);
    for (let i = 0; i < 5; i += 1) assert.deepEqual(await b.call(`GET ser:doomed:${i}`), notFound);
    assert.deepEqual(await a.call('COMMIT'), noTransaction, 'the failed COMMIT ended it');
  });

  test('a serializable transaction with a refused write fails whole at COMMIT', async () => {
    assert.equal(await a.request('START SERIALIZABLE'), ok);
    for (let i = 0; i < txWritesMax; i += 1) {
      assert.equal(await a.request(`PUT ser:doomed2:${i} v`), ok);
    }
    assert.equal((await a.call('PUT ser:doomed2:last v')).status, 'Error');
    assertDoomedCommit(await a.call('COMMIT'));
    assert.deepEqual(await b.call('GET ser:doomed2:0'), notFound);
  });

  test('over RESP, a refused queued write makes EXEC answer EXECABORT; nothing applies', async () => {
    const resp = await RespClient.connect(target.port);
    try {
      const commands = Array.from({ length: 5 }, (_, i) => ['SET', `ser:respdoomed:${i}`, 'v']);
      const replies = await resp.pipeline([['MULTI'], ...commands, ['EXEC']]);
      assert.deepEqual(replies.slice(0, 1 + txWritesMax), [OK, ...Array(txWritesMax).fill(QUEUED)]);
      for (const refused of replies.slice(1 + txWritesMax, 6)) {
        assert.ok(refused instanceof RespError, `a refused SET is an error: ${String(refused)}`);
      }
      assert.deepEqual(
        replies[6],
        error('EXECABORT Transaction discarded because of previous errors.'),
      );
      assert.equal(
        await resp.call('EXISTS', ...commands.map((command) => command[1] as string)),
        0,
      );
    } finally {
      resp.close();
    }
  });
});
